/**
 * The one shape every benchmark reports in, so `npm run bench` can put them in one Markdown file.
 *
 * A benchmark script prints what it likes for a human, and when `BENCH_REPORT` names a file, writes
 * its `BenchReport` there as JSON (`writeBenchReport`). The runner (`bench/run-all`) starts each
 * script as a child process with its own `BENCH_REPORT` path and renders the tables.
 *
 * Figures are medians of several measured runs after a warm-up; `spread` says how far the runs
 * were apart, so a reader can tell a difference from noise.
 */
import { writeFileSync } from 'node:fs';

/** One measured figure: the median of `runs`, with their spread. */
export interface Measured {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** (max − min) / median, in percent: how much the runs disagreed. */
  readonly spreadPct: number;
  readonly runs: number;
}

export type Cell = string | number | Measured;

export interface BenchTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Sentences under the table: method, configuration of peers, caveats. */
  readonly notes?: readonly string[];
}

/** A target from the issue or the docs, read off the tables (never a timed unit test). */
export interface BenchTarget {
  readonly name: string;
  readonly met: boolean;
  /** The figures compared, e.g. "3,410/s vs 3,100/s (110 %)". */
  readonly detail: string;
}

export interface BenchReport {
  /** `npm run bench:<name>`. */
  readonly name: string;
  readonly title: string;
  readonly tables: readonly BenchTable[];
  readonly targets: readonly BenchTarget[];
}

/** Median, min, max and spread of several runs of one figure. */
export function measured(values: readonly number[]): Measured {
  if (values.length === 0) throw new Error('measured() needs at least one run');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return { median, min, max, spreadPct: median === 0 ? 0 : ((max - min) / median) * 100, runs: values.length };
}

/** Writes the report where `BENCH_REPORT` says (the runner's file); does nothing when it is unset. */
export function writeBenchReport(report: BenchReport): void {
  const path = process.env.BENCH_REPORT;
  if (path) writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

/** A cell as the report shows it: `3,410 ±4 %` for a measured figure. */
export function formatCell(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number') return formatNumber(cell);
  return `${formatNumber(cell.median)} ±${Math.round(cell.spreadPct / 2)} %`;
}

export function formatNumber(n: number): string {
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
