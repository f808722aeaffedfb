/**
 * `npm run bench:sign`: RS256-2048 signatures per second and latency, by how the signature is
 * computed — `crypto.sign` synchronously (on the event loop), `crypto.sign` with a callback (libuv's
 * thread pool), WebCrypto `subtle.sign` (also the pool), and jose's `SignJWT` (WebCrypto underneath,
 * plus its claim and header encoding) — at 1 and BENCH_SIGN_CONCURRENCY (16) requests in flight,
 * with UV_THREADPOOL_SIZE at libuv's default (4) and at the number of cores. Decision 009 reads it.
 *
 * Method: each thread-pool size runs in a child process of its own (libuv reads the variable once);
 * in it every method × concurrency runs BENCH_ROUNDS rotating rounds of BENCH_ROUND_MS after a
 * warm-up. A figure is the median round with the spread; p50/p99 are over every measured signature
 * of the combination, from the moment its "request" reached the event loop (queue wait included).
 *
 * With BENCH_SIGN_JOB set, this file is that child: it measures the job and prints JSON.
 */
import { availableParallelism, cpus } from 'node:os';
import { type BenchReport, type BenchTarget, formatNumber, measured, writeBenchReport } from './support/bench-report.js';
import { AUTH_SIGN_METHOD, SIGN_METHODS, type SignJob, type SignSeries, measureSigning, runSignJob } from './support/sign-load.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 700);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 300);
const IN_FLIGHT = Number(process.env.BENCH_SIGN_CONCURRENCY ?? 16);

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const pools = [...new Set([4, cores])];
  const job: SignJob = { methods: SIGN_METHODS, concurrency: [1, IN_FLIGHT], rounds: ROUNDS, roundMs: ROUND_MS, warmupMs: WARMUP_MS };
  out(`bench:sign — ${cores} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, OpenSSL ${process.versions.openssl}`);
  out(`RS256 2048-bit, ${ROUNDS} rotating rounds × ${ROUND_MS} ms per combination, UV_THREADPOOL_SIZE ${pools.join(' and ')}`);
  const series: SignSeries[] = [];
  for (const size of pools) series.push(...(await measureSigning(size, job)));

  const find = (method: string, concurrency: number, pool: number): SignSeries | undefined =>
    series.find((s) => s.method === method && s.concurrency === concurrency && s.threadPool === pool);
  const syncOne = measured(find('crypto.sign sync', 1, 4)!.rates).median;
  const rows = series.map((s) => {
    const m = measured(s.rates);
    return [s.method, String(s.concurrency), String(s.threadPool), m, s.p50Ms, s.p99Ms, `${formatNumber((m.median / syncOne) * 100)} %`];
  });
  out();
  out('| method | in flight | UV_THREADPOOL_SIZE | signatures/s | p50 ms | p99 ms | vs sync, 1 in flight |');
  for (const r of rows)
    out(`| ${r.map((c) => (typeof c === 'object' ? formatNumber(c.median) : typeof c === 'number' ? c.toFixed(2) : c)).join(' | ')} |`);

  // The decision's claim, read off the table: at load, auth's method beats signing on the event loop
  // and is within noise of the fastest, without a worse p99.
  const targets: BenchTarget[] = [];
  for (const pool of pools) {
    const mine = find(AUTH_SIGN_METHOD, IN_FLIGHT, pool)!;
    const sync = find('crypto.sign sync', IN_FLIGHT, pool)!;
    const mineRate = measured(mine.rates).median;
    const syncRate = measured(sync.rates).median;
    targets.push({
      name: `sign: auth's ${AUTH_SIGN_METHOD} ≥ sync at ${IN_FLIGHT} in flight (pool ${pool})`,
      met: mineRate >= syncRate,
      detail: `${formatNumber(mineRate)}/s p99 ${mine.p99Ms.toFixed(1)} ms vs ${formatNumber(syncRate)}/s p99 ${sync.p99Ms.toFixed(1)} ms`,
    });
  }
  for (const t of targets) out(`${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.detail}`);

  const report: BenchReport = {
    name: 'sign',
    title: 'sign — RS256-2048 signatures/s by signing call (decision 009)',
    tables: [
      {
        title: `RS256-2048 signing, 1 and ${IN_FLIGHT} requests in flight`,
        columns: ['method', 'in flight', 'UV_THREADPOOL_SIZE', 'signatures/s', 'p50 ms', 'p99 ms', 'vs sync, 1 in flight'],
        rows,
        notes: [
          `${ROUNDS} rotating rounds × ${ROUND_MS} ms per row after a ${WARMUP_MS} ms warm-up; each pool size in its own process; latency from the request's turn of the event loop (queue wait included).`,
          `auth signs with ${AUTH_SIGN_METHOD} (decision 009).`,
        ],
      },
    ],
    targets,
  };
  writeBenchReport(report);
}

const job = process.env.BENCH_SIGN_JOB;
if (job) {
  void runSignJob(JSON.parse(job) as SignJob).then((result) => out(JSON.stringify(result)));
} else {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:sign failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
