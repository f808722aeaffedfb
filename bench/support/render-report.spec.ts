import { measured } from './bench-report.js';
import { type RunSummary, renderRunReport, renderTable } from './render-report.js';

const machine = { cpuModel: 'AMD EPYC', cores: 2, node: 'v20.20.2', openssl: '3.0.19', os: 'Linux 6.1', memoryGiB: 7.8, loadAverage: 1.5 };

const run = (over: Partial<RunSummary> = {}): RunSummary => ({
  machine,
  startedAt: new Date('2026-12-01T17:00:00Z'),
  durationMs: 61_000,
  knobs: {},
  outcomes: [
    {
      name: 'issue',
      status: 'targets missed',
      durationMs: 30_000,
      report: {
        name: 'issue',
        title: 'issue — tokens/s',
        tables: [{ title: 'client_credentials', columns: ['server', 'tokens/s'], rows: [['authmesh, secret', measured([90, 100, 110])]] }],
        targets: [{ name: 'issue ≥ oidc-provider', met: false, detail: '100/s vs 3,100/s' }],
      },
    },
    { name: 'verify', status: 'failed', durationMs: 2_000, reason: 'exited 1 without a report' },
    { name: 'edge', status: 'skipped', durationMs: 0, reason: 'dist/bench/edge.bench.js does not exist in this build' },
  ],
  ...over,
});

describe('renderRunReport', () => {
  it('names the machine (CPU model, cores, Node, OpenSSL) and the date', () => {
    const md = renderRunReport(run());
    expect(md).toContain('Run 2026-12-01T17:00:00.000Z');
    expect(md).toContain('2 × AMD EPYC');
    expect(md).toContain('Node v20.20.2, OpenSSL 3.0.19');
  });

  it('shows each figure as its median with the spread, in a Markdown table', () => {
    const md = renderRunReport(run());
    expect(md).toContain('| server | tokens/s |\n| --- | ---: |\n| authmesh, secret | 100 ±10 % |');
  });

  it('lists a missed target as missed with its detail, in one targets table', () => {
    expect(renderRunReport(run())).toContain('| issue | issue ≥ oidc-provider | **missed** | 100/s vs 3,100/s |');
  });

  it('reports a crashed bench as failed and a missing one as skipped, each with the reason', () => {
    const md = renderRunReport(run());
    expect(md).toContain('| verify | failed | 2 s | exited 1 without a report |');
    expect(md).toContain('**Failed**: exited 1 without a report.');
    expect(md).toContain('Skipped: dist/bench/edge.bench.js does not exist in this build.');
    expect(md).toContain('Failed: verify (`npm run bench` exits 1).');
  });

  it('says a run with shortened knobs was one', () => {
    expect(renderRunReport(run({ knobs: { BENCH_ROUNDS: '2' } }))).toContain('Knobs: `BENCH_ROUNDS=2`');
    expect(renderRunReport(run())).not.toContain('Knobs:');
  });
});

describe('renderTable', () => {
  it('escapes a pipe in a cell so it cannot split the row', () => {
    const md = renderTable({ title: 't', columns: ['a', 'b'], rows: [['x | y', 'z']] });
    expect(md).toContain('| x \\| y | z |');
  });

  it('right-aligns numeric columns only', () => {
    const md = renderTable({ title: 't', columns: ['name', 'n', 'note'], rows: [['a', 1.5, 'text']] });
    expect(md).toContain('| --- | ---: | --- |');
    expect(md).toContain('| a | 1.5 | text |');
  });

  it('keeps a column of figures right-aligned when a row has a dash instead', () => {
    const md = renderTable({
      title: 't',
      columns: ['name', 'n'],
      rows: [
        ['a', 1.5],
        ['b', '—'],
      ],
    });
    expect(md).toContain('| --- | ---: |');
  });
});
