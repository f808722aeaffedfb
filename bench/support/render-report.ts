/**
 * Renders what `npm run bench` collected into the one Markdown report (`bench/results/latest.md`):
 * the machine, the date, a section per benchmark with its tables, and every target in one table.
 * Pure: the runner (`bench/run-all.ts`) gathers the inputs; a unit test pins the output.
 */
import { type BenchReport, type BenchTable, formatCell } from './bench-report.js';

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly openssl: string;
  readonly os: string;
  readonly memoryGiB: number;
  /** 1-minute load average when the run started: a busy machine explains low figures. */
  readonly loadAverage: number;
}

/**
 * How one benchmark ended. `targets missed` is a completed run whose table misses a target (the
 * scripts exit 1 then, standalone); `failed` is a crash, a timeout or no report at all.
 */
export type BenchStatus = 'ok' | 'targets missed' | 'failed' | 'skipped';

export interface BenchOutcome {
  readonly name: string;
  readonly status: BenchStatus;
  readonly durationMs: number;
  readonly report?: BenchReport;
  /** Why it failed or was skipped, in one line. */
  readonly reason?: string;
}

export interface RunSummary {
  readonly machine: Machine;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outcomes: readonly BenchOutcome[];
  /** The env knobs the run was started with (BENCH_*), so a short smoke run says it was one. */
  readonly knobs: Readonly<Record<string, string>>;
}

/** A cell's text made safe for a Markdown table (a `|` would split it, a newline would end the row). */
function cellText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cellText).join(' | ')} |`;
}

/** A benchmark table in Markdown; numbers right-aligned, the first column left. */
export function renderTable(table: BenchTable): string {
  // A column of figures (a dash where a row has none) is right-aligned; one with any text is not.
  const numeric = table.columns.map(
    (_, i) =>
      i > 0 && table.rows.some((r) => typeof r[i] !== 'string') && table.rows.every((r) => typeof r[i] !== 'string' || r[i] === '—'),
  );
  const lines = [
    `**${cellText(table.title)}**`,
    '',
    row(table.columns),
    `| ${numeric.map((n) => (n ? '---:' : '---')).join(' | ')} |`,
    ...table.rows.map((r) => row(table.columns.map((_, i) => (r[i] === undefined ? '' : formatCell(r[i]))))),
  ];
  for (const note of table.notes ?? []) lines.push('', `_${note}_`);
  return lines.join('\n');
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(0)} s`;

/** The whole report. */
export function renderRunReport(run: RunSummary): string {
  const m = run.machine;
  const out: string[] = [
    '# authmesh benchmark report',
    '',
    `Run ${run.startedAt.toISOString()}, ${seconds(run.durationMs)} in all (\`npm run bench\`).`,
    '',
    `Machine: ${m.cores} × ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB, ${m.os}; Node ${m.node}, OpenSSL ${m.openssl}; load average ${m.loadAverage.toFixed(2)} at the start.`,
  ];
  const knobs = Object.entries(run.knobs);
  if (knobs.length > 0) out.push('', `Knobs: ${knobs.map(([k, v]) => `\`${k}=${v}\``).join(', ')} (not the defaults' durations).`);
  out.push(
    '',
    'Each figure is the median of several measured runs after a warm-up; `±N %` is half the spread (max − min) of those runs over the median.',
    '',
    '## Benchmarks',
    '',
    row(['benchmark', 'status', 'time', 'note']),
    '| --- | --- | ---: | --- |',
    ...run.outcomes.map((o) =>
      row([o.name, o.status, o.status === 'skipped' ? '—' : seconds(o.durationMs), o.reason ?? o.report?.title ?? '']),
    ),
  );
  for (const o of run.outcomes) {
    out.push('', `## ${o.name}`, '');
    if (!o.report) {
      out.push(o.status === 'skipped' ? `Skipped: ${o.reason ?? 'not run'}.` : `**Failed**: ${o.reason ?? 'no report'}.`);
      continue;
    }
    out.push(`${o.report.title}.`);
    for (const table of o.report.tables) out.push('', renderTable(table));
  }
  const targets = run.outcomes.flatMap((o) => (o.report?.targets ?? []).map((t) => ({ bench: o.name, ...t })));
  out.push('', '## Targets', '');
  if (targets.length === 0) out.push('No target was read (no benchmark reported one).');
  else {
    out.push(row(['benchmark', 'target', 'result', 'detail']), '| --- | --- | --- | --- |');
    for (const t of targets) out.push(row([t.bench, t.name, t.met ? 'met' : '**missed**', t.detail]));
  }
  const failed = run.outcomes.filter((o) => o.status === 'failed');
  if (failed.length > 0) out.push('', `Failed: ${failed.map((o) => o.name).join(', ')} (\`npm run bench\` exits 1).`);
  return `${out.join('\n')}\n`;
}
