/** The human side of a BenchReport: each table as Markdown on stdout, then the targets. */
import { cpus, loadavg } from 'node:os';
import { type BenchReport, formatCell } from '../support/bench-report.js';

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** One line on the machine and the moment, first thing a bench prints. */
export function machineLine(name: string): string {
  return `bench:${name} — ${new Date().toISOString()}, Node ${process.version}, OpenSSL ${process.versions.openssl}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(2)}`;
}

export function printReport(report: BenchReport): void {
  for (const table of report.tables) {
    out();
    out(`### ${table.title}`);
    out();
    out(`| ${table.columns.join(' | ')} |`);
    out(`| ${table.columns.map(() => '---').join(' | ')} |`);
    for (const row of table.rows) out(`| ${row.map(formatCell).join(' | ')} |`);
    for (const note of table.notes ?? []) out(`\n${note}`);
  }
  out();
  for (const target of report.targets) out(`${target.met ? 'MET   ' : 'MISSED'} ${target.name}: ${target.detail}`);
}

/** `n` as a percentage with no decimals: 0.934 → "93 %". */
export const percent = (ratio: number): string => `${Math.round(ratio * 100)} %`;
