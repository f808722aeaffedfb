/**
 * `npm run bench:dpop-replay`: what the DPoP jti replay check costs per request, layer by layer
 * (docs/decisions/010-dpop-gateway-and-replay.md):
 *
 *   local cache   DpopReplayGuard without a shared store (sha256 key + lru-cache set/has): what a
 *                 single process (`REDIS_URL=memory://`) or the `local` outage policy pays
 *   local + Redis DpopReplayGuard over RedisReplayStore (one SET NX PX per check) on the real Redis
 *                 of REDIS_URL: the default, sequential (the latency one request pays) and with
 *                 `BENCH_DPOP_IN_FLIGHT` (32) checks in flight (what a busy verifier sees)
 *
 * Each figure is the median of `BENCH_DPOP_ROUNDS` (5) rounds after a warm-up; keys are random and
 * expire by themselves (PX 60 s).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DpopReplayGuard, RedisReplayStore } from '@authmesh/token-verifier';
import { machineLine, out, printReport } from './edge/print-report.js';
import { type BenchReport, type Cell, measured, writeBenchReport } from './support/bench-report.js';

const ROUNDS = Number(process.env.BENCH_DPOP_ROUNDS ?? 5);
const IN_FLIGHT = Number(process.env.BENCH_DPOP_IN_FLIGHT ?? 32);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LOCAL_N = 200_000;
const REDIS_N = 5_000;

async function timed(n: number, inFlight: number, check: () => Promise<void>): Promise<{ perSecond: number; micros: number }> {
  const t0 = performance.now();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      await check();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const ms = performance.now() - t0;
  return { perSecond: (n / ms) * 1000, micros: (ms * 1000) / n };
}

async function main(): Promise<void> {
  out(machineLine('dpop-replay'));
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const local = new DpopReplayGuard({ maxEntries: 100_000 });
    const shared = new DpopReplayGuard({ maxEntries: 100_000, shared: new RedisReplayStore(redis, `bench:dpop:${randomUUID()}:`) });
    const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
    const cases = [
      { name: 'local cache', what: 'sha256(jkt, jti) + lru-cache has/set', n: LOCAL_N, inFlight: 1, guard: local },
      {
        name: 'local + Redis, 1 in flight',
        what: '+ SET NX PX, one at a time (the latency of one request)',
        n: REDIS_N,
        inFlight: 1,
        guard: shared,
      },
      {
        name: `local + Redis, ${IN_FLIGHT} in flight`,
        what: '+ SET NX PX, concurrent (a busy verifier)',
        n: REDIS_N * 4,
        inFlight: IN_FLIGHT,
        guard: shared,
      },
    ];
    const rows: Cell[][] = [];
    for (const c of cases) {
      const check = () => c.guard.check(jkt, randomUUID(), 60_000);
      await timed(Math.min(c.n, 2000), c.inFlight, check);
      const perSecond: number[] = [];
      const micros: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const t = await timed(c.n, c.inFlight, check);
        perSecond.push(t.perSecond);
        micros.push(t.micros);
      }
      rows.push([c.name, c.what, measured(perSecond), measured(micros)]);
    }
    const report: BenchReport = {
      name: 'dpop-replay',
      title: 'DPoP jti replay check: local cache alone, and with the shared Redis check',
      tables: [
        {
          title: `DpopReplayGuard.check, ${ROUNDS} rounds after a warm-up`,
          columns: ['layer', 'what', 'checks/s', 'µs per check (wall / checks)'],
          rows,
          notes: [
            `Redis: ${new URL(REDIS_URL).host}, on this machine (loopback). The local cache holds at most 100,000 proofs; keys are random jti under one key thumbprint.`,
          ],
        },
      ],
      targets: [],
    };
    printReport(report);
    writeBenchReport(report);
  } finally {
    redis.disconnect();
  }
}

void main();
