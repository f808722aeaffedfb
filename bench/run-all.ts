/**
 * `npm run bench`: every benchmark in sequence, each as `node dist/bench/<name>.bench.js` in a
 * child process of its own (so one bench's heap, JIT state and open handles never colour the next),
 * with `BENCH_REPORT` naming a temporary file it writes its `BenchReport` to; then ONE Markdown
 * report, `bench/results/latest.md` (git-ignored), rendered by `support/render-report.ts`.
 *
 * A bench that crashes, times out (BENCH_TIMEOUT_S each, default 240) or writes no report is
 * `failed`, and the runner exits 1 after writing the report. A bench that completes but misses a
 * target exits 1 standalone; here it is `targets missed`, read from its report, not a failure.
 * A bench file not built yet is `skipped` with a line in the report.
 *
 * Budget: the whole run stays under 15 minutes on a 2-core machine with the defaults; every bench
 * takes its own BENCH_* knobs (rounds, durations), which the children inherit — a smoke run sets
 * them short. BENCH_ONLY=issue,login runs a subset.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './support/bench-report.js';
import { type BenchOutcome, type Machine, renderRunReport } from './support/render-report.js';

/** The issue's order; `sign` (decision 009's table) sits next to the issue bench it explains. */
export const BENCHES = ['verify', 'sign', 'issue', 'login', 'edge', 'gateway', 'revocation', 'rotation', 'memory'] as const;

const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 240) * 1000;
const here = fileURLToPath(new URL('.', import.meta.url)); // dist/bench/
const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    node: process.version,
    openssl: process.versions.openssl,
    os: `${osType()} ${release()}`,
    memoryGiB: totalmem() / 2 ** 30,
    loadAverage: loadavg()[0] ?? 0,
  };
}

/** Runs one bench to completion (or its timeout); its own output goes to ours as it comes. */
function runOne(name: string, reportPath: string): Promise<BenchOutcome> {
  const script = join(here, `${name}.bench.js`);
  if (!existsSync(script))
    return Promise.resolve({ name, status: 'skipped', durationMs: 0, reason: `dist/bench/${name}.bench.js does not exist in this build` });
  const started = performance.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout (or Ctrl-C here) reaches what the bench started too:
    // auth, the peer, the load process. issue and login stop theirs and drop their databases on
    // SIGTERM; what is still alive 15 s later is killed.
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, BENCH_REPORT: reportPath },
      stdio: 'inherit',
      detached: true,
    });
    const group = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // the group is gone
      }
    };
    const interrupt = (): void => {
      group('SIGTERM');
      setTimeout(() => group('SIGKILL'), 15_000).unref();
      process.exitCode = 130;
    };
    process.once('SIGINT', interrupt);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      group('SIGTERM');
      setTimeout(() => group('SIGKILL'), 15_000).unref();
    }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', interrupt);
      const durationMs = performance.now() - started;
      let report: BenchReport | undefined;
      try {
        report = JSON.parse(readFileSync(reportPath, 'utf8')) as BenchReport;
      } catch {
        report = undefined;
      }
      if (timedOut)
        return resolve({ name, status: 'failed', durationMs, reason: `timed out after ${TIMEOUT_MS / 1000} s (BENCH_TIMEOUT_S)` });
      if (!report) return resolve({ name, status: 'failed', durationMs, reason: `exited ${signal ?? code} without a report` });
      // Some benches exit 0 past a missed target (gateway has no exit-code target): the report decides.
      const missed = report.targets.some((t) => !t.met);
      if (code === 0) return resolve({ name, status: missed ? 'targets missed' : 'ok', durationMs, report });
      // Exit 1 with a report whose targets are all met is a failure the bench found (a failed request, a wrong answer).
      resolve(
        missed
          ? { name, status: 'targets missed', durationMs, report }
          : { name, status: 'failed', durationMs, report, reason: `exited ${signal ?? code}; see its output` },
      );
    });
  });
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const names = only ? BENCHES.filter((b) => only.includes(b)) : [...BENCHES];
  const knobs = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith('BENCH_') && e[0] !== 'BENCH_REPORT' && e[1] !== undefined,
    ),
  );
  const startedAt = new Date();
  const host = machine(); // before the first bench loads the machine
  const t0 = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), 'authmesh-bench-'));
  const outcomes: BenchOutcome[] = [];
  try {
    for (const name of names) {
      if (process.exitCode === 130) break; // interrupted: report what ran
      out(`\n=== bench:${name} (${outcomes.length + 1}/${names.length}) ===`);
      const outcome = await runOne(name, join(scratch, `${name}.json`));
      outcomes.push(outcome);
      out(
        `=== bench:${name}: ${outcome.status}${outcome.reason ? ` — ${outcome.reason}` : ''} (${(outcome.durationMs / 1000).toFixed(0)} s)`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const markdown = renderRunReport({ machine: host, startedAt, durationMs: performance.now() - t0, outcomes, knobs });
  mkdirSync(resultsDir, { recursive: true });
  const target = join(resultsDir, 'latest.md');
  writeFileSync(target, markdown);
  out(`\nreport: ${target} (${((performance.now() - t0) / 60_000).toFixed(1)} min)`);
  for (const o of outcomes) out(`  ${o.name.padEnd(11)} ${o.status}`);
  process.exitCode = outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}

void main();
