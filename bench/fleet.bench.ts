/**
 * `npm run bench:fleet`: what a fleet of verifiers costs Redis, and how long it takes to be fresh
 * again, when Redis goes away and comes back. N verifier feeds (each a `RevocationMirror` fed over
 * connections of its own, exactly what a verifier pod runs, spread over `--workers` child
 * processes) against one real redis-server the bench owns, holding M live revocations.
 *
 * Scenarios, each timed from the moment Redis answers again until every feed is synced and its
 * mirror fresh as of a moment after the fault:
 *   a  restart with data: SHUTDOWN SAVE, redis-server again on the same dir and port (the RDB)
 *   b  failover on Sentinel: primary + replica + 3 sentinels, the primary killed (SIGKILL)
 *   c  restart empty, then the M entries re-seeded as auth's reseeder does (claim, entries, marker)
 *
 * Designs: `legacy` is the feed before the stream (pub/sub + a full SCAN + GET re-sync after every reconnect),
 * kept as bench/fleet/legacy-pubsub-scan-feed.ts; `stream` is whatever @authmesh/revocation
 * exports as `RedisMirrorFeed`. Measured on the server that served the catch-up (INFO): commands
 * processed, bytes sent, CPU (sys + user) — plus per-feed time to fresh (p50/p99/max).
 *
 * Targets, checked for the stream design (exit 1 on a miss): a reconnect that missed nothing
 * (a, b) costs at most TARGET_COMMANDS_PER_VERIFIER commands per verifier, and every feed is fresh
 * within TARGET_FRESH_MS of Redis answering again. (c) is reported, not checked (see `check`).
 *
 *   npm run bench:fleet                                  # the default matrix (see DEFAULT_*)
 *   npm run bench:fleet -- --design legacy --n 1000 --m 100000 --scenario a
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { BenchRedis, teardowns } from './fleet/bench-redis.js';
import { Fleet } from './fleet/fleet.js';
import type { RedisTarget } from './fleet/fleet-worker.js';
import { type RedisCounters, ZERO_COUNTERS, delta, readCounters } from './fleet/redis-info.js';
import { type Design, liveEntries, seed } from './fleet/seed.js';
import { startSentinelSet } from './fleet/sentinel.js';

type Scenario = 'a' | 'b' | 'c';

/** "A few" commands: the connection handshake, the role check if any, the LOCATE script and the catch-up XREAD. */
const TARGET_COMMANDS_PER_VERIFIER = 10;
const TARGET_FRESH_MS = 5000;
/** Before a fault, the fleet runs this long in steady state (heartbeats flowing). */
const SETTLE_MS = 1500;

const DEFAULT_NS = [50, 200, 1000];
const DEFAULT_MS = [10_000, 100_000];
/**
 * Without --n/--m, cells whose fleet would read more than this many entries to start (N × M:
 * every new verifier reads the whole blocklist once, whatever the design) are skipped: the stream
 * fleet's first sync at 1,000 × 100k took 302 s here, and (c) reads it all again.
 */
const DEFAULT_MAX_START_READS = 10_000_000;
/**
 * Without --n/--m, legacy cells above this N × M are skipped too: every legacy scenario costs N × M
 * GETs again. Measured here (2 cores): 200 × 10k re-syncs in ~9 s, but 1,000 × 10k took 181 s to
 * first sync and 290 s (44M commands: passes past the feed's 2 s command timeout start over) after
 * a restart, so 1,000 × 100k (100M GETs a pass) would run for well over an hour.
 */
const DEFAULT_LEGACY_MAX_READS = 2_000_000;

interface Cell {
  readonly design: Design;
  readonly n: number;
  readonly m: number;
  readonly scenario: Scenario;
}

interface Result extends Cell {
  /** Redis unavailable: stopped (a, c) or primary killed (b) until it answers again (b: the promoted replica). */
  readonly downMs: number;
  /** (c) the re-seed, from Redis answering until markSeeded returned. */
  readonly seedMs?: number;
  /** Per feed, ms from Redis answering again (c: from the seed's end) until synced and fresh, sorted. */
  readonly freshMs: readonly number[];
  /** The feeds' own cost on the serving Redis (c: the re-seed's own commands taken out). */
  readonly feeds: RedisCounters;
  /** Events the fleet's mirrors applied in the window (not printed; a debugging aid: legacy re-applies N × M). */
  readonly applied: number;
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const list = (values: string[] | undefined): string[] | undefined => values?.flatMap((v) => v.split(',')).filter((v) => v !== '');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;

function parse(): { cells: Cell[]; skipped: Cell[]; workers: number; timeoutMs: number } {
  const { values } = parseArgs({
    options: {
      design: { type: 'string', default: 'both' },
      n: { type: 'string', multiple: true },
      m: { type: 'string', multiple: true },
      scenario: { type: 'string', multiple: true },
      workers: { type: 'string', default: '4' },
      timeout: { type: 'string', default: '600' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out('npm run bench:fleet -- [--design legacy|stream|both] [--n 50,200,1000] [--m 10000,100000] [--scenario a,b,c]');
    out('                       [--workers 4] [--timeout 600 (s per scenario)]');
    process.exit(0);
  }
  const design = values.design;
  if (design !== 'legacy' && design !== 'stream' && design !== 'both')
    throw new Error(`--design must be legacy, stream or both (got ${design})`);
  const designs: Design[] = design === 'both' ? ['legacy', 'stream'] : [design];
  const number = (v: string, flag: string): number => {
    const x = Number(v.replace(/_/g, '').replace(/k$/i, '000'));
    if (!Number.isSafeInteger(x) || x <= 0) throw new Error(`${flag} takes positive integers (got ${v})`);
    return x;
  };
  const explicit = values.n !== undefined || values.m !== undefined;
  const ns = list(values.n)?.map((v) => number(v, '--n')) ?? DEFAULT_NS;
  const ms = list(values.m)?.map((v) => number(v, '--m')) ?? DEFAULT_MS;
  const scenarios = (list(values.scenario) ?? ['a', 'b', 'c']).map((s): Scenario => {
    if (s !== 'a' && s !== 'b' && s !== 'c') throw new Error(`--scenario takes a, b, c (got ${s})`);
    return s;
  });
  const cells: Cell[] = [];
  const skipped: Cell[] = [];
  for (const d of designs)
    for (const n of ns)
      for (const m of ms)
        for (const scenario of scenarios) {
          const cell = { design: d, n, m, scenario };
          const tooBig = n * m > DEFAULT_MAX_START_READS || (d === 'legacy' && n * m > DEFAULT_LEGACY_MAX_READS);
          if (!explicit && tooBig) skipped.push(cell);
          else cells.push(cell);
        }
  return { cells, skipped, workers: number(values.workers, '--workers'), timeoutMs: number(values.timeout, '--timeout') * 1000 };
}

/** Settles, stops Redis, watches the fleet, starts Redis again (empty for c, then re-seeds), and measures. */
async function restart(
  cell: Cell,
  redis: BenchRedis,
  fleet: Fleet,
  reseed: { events: ReturnType<typeof liveEntries>; cost: RedisCounters },
  timeoutMs: number,
): Promise<Result> {
  await sleep(SETTLE_MS);
  const stoppedAt = Date.now();
  await redis.shutdown(cell.scenario === 'a');
  const downAt = Date.now();
  const caught = fleet.watch(downAt, timeoutMs);
  await redis.start();
  const backAt = await redis.answered();
  // A restarted server counts from zero; its CPU so far is loading the RDB, not the feeds' doing.
  const atBack = await readCounters(redis.port);
  let seededAt = backAt;
  if (cell.scenario === 'c') {
    const writer = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    await seed(cell.design, writer, reseed.events);
    seededAt = Date.now();
    writer.disconnect();
  }
  const { at, applied } = await caught;
  const after = await readCounters(redis.port);
  let feeds = delta({ ...ZERO_COUNTERS, cpuSeconds: atBack.cpuSeconds }, after);
  if (cell.scenario === 'c') feeds = delta(reseed.cost, feeds);
  return {
    ...cell,
    downMs: backAt - stoppedAt,
    ...(cell.scenario === 'c' ? { seedMs: seededAt - backAt } : {}),
    freshMs: at.map((t) => Math.max(0, t - seededAt)).sort((x, y) => x - y),
    feeds,
    applied,
  };
}

/** Scenarios a and c on one fleet against one owned redis-server. */
async function runNode(cells: Cell[], workers: number, timeoutMs: number): Promise<Result[]> {
  const { design, n, m } = cells[0]!;
  const redis = await BenchRedis.start();
  let fleet: Fleet | undefined;
  try {
    await redis.answered();
    const events = liveEntries(m);
    const before = await readCounters(redis.port);
    const writer = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    const seedStarted = Date.now();
    await seed(design, writer, events);
    const seedMs = Date.now() - seedStarted;
    writer.disconnect();
    // What the seed alone costs on an idle server: taken out of scenario c's window.
    const cost = delta(before, await readCounters(redis.port));
    const started = await Fleet.start(design, { kind: 'node', port: redis.port }, n, workers, timeoutMs);
    fleet = started.fleet;
    out(`  ${design} N=${n} M=${m}: seeded in ${seedMs} ms, fleet in sync in ${started.ms} ms`);
    const results: Result[] = [];
    for (const cell of cells) {
      const result = await restart(cell, redis, fleet, { events, cost }, timeoutMs);
      // Each row as soon as it is measured: a long matrix cut short still leaves its numbers.
      out(`  ${row(result)}`);
      results.push(result);
    }
    return results;
  } finally {
    await fleet?.stop();
    await redis.destroy();
  }
}

/** Scenario b: the fleet on a Sentinel client, the primary killed, timed from the promoted replica answering as master. */
async function runSentinel(cell: Cell, workers: number, timeoutMs: number): Promise<Result> {
  const set = await startSentinelSet();
  teardowns.add(set.destroy);
  let fleet: Fleet | undefined;
  try {
    const writer = new Redis(set.primaryPort, '127.0.0.1', { maxRetriesPerRequest: 1 });
    await seed(cell.design, writer, liveEntries(cell.m));
    // Everything on the replica before the primary dies: a failover that lost nothing.
    await writer.call('WAIT', '1', '10000');
    writer.disconnect();
    const target: RedisTarget = { kind: 'sentinel', sentinels: set.sentinels, name: set.name };
    const started = await Fleet.start(cell.design, target, cell.n, workers, timeoutMs);
    fleet = started.fleet;
    out(`  ${cell.design} N=${cell.n} M=${cell.m}: fleet in sync on Sentinel in ${started.ms} ms`);
    await sleep(SETTLE_MS);
    const before = await readCounters(set.replicaPort);
    const killedAt = Date.now();
    // Armed before the kill: no feed can be fresh past `killedAt` until the replica is promoted.
    const caught = fleet.watch(killedAt, timeoutMs);
    const backAt = await set.failover(timeoutMs);
    const { at, applied } = await caught;
    const after = await readCounters(set.replicaPort);
    const freshMs = at.map((t) => Math.max(0, t - backAt)).sort((x, y) => x - y);
    return { ...cell, downMs: backAt - killedAt, freshMs, feeds: delta(before, after), applied };
  } finally {
    await fleet?.stop();
    await set.destroy();
    teardowns.delete(set.destroy);
  }
}

const SCENARIO_NAMES: Record<Scenario, string> = {
  a: '(a) restart with data',
  b: '(b) Sentinel failover',
  c: '(c) restart empty + re-seed',
};
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const bytes = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(1)} MB` : `${(x / 1e3).toFixed(1)} kB`);

/** The commands one verifier sent on average, largest first (e.g. `get 10,000 · scan 11 · …`). */
function perVerifierBreakdown(r: Result): string {
  return (
    [...r.feeds.calls]
      // Under 0.05 per verifier: the sentinels' own traffic (hello, ROLE, CLIENT KILL…) and the bench's INFO.
      .filter(([, calls]) => calls / r.n >= 0.05)
      .sort((x, y) => y[1] - x[1])
      .map(([name, calls]) => `${name} ${(calls / r.n).toFixed(calls / r.n >= 10 ? 0 : 1)}`)
      .join(' · ')
  );
}

function row(r: Result): string {
  const fresh = `${fmt(percentile(r.freshMs, 50))} / ${fmt(percentile(r.freshMs, 99))} / **${fmt(r.freshMs.at(-1)!)} ms**`;
  return (
    `| ${SCENARIO_NAMES[r.scenario]} | ${r.design} | ${fmt(r.n)} | ${fmt(r.m)} | ${fmt(r.downMs)} ms | ${r.seedMs === undefined ? '—' : `${fmt(r.seedMs)} ms`} ` +
    `| ${fresh} | ${fmt(r.feeds.commands)} | ${(r.feeds.commands / r.n).toFixed(1)} | ${bytes(r.feeds.outputBytes)} ` +
    `| ${r.feeds.cpuSeconds.toFixed(2)} s | ${perVerifierBreakdown(r)} |`
  );
}

function table(results: Result[]): void {
  out(
    '| scenario | design | N | M | Redis down | re-seed | all fresh (p50 / p99 / max) | commands | per verifier | bytes sent | Redis CPU | per verifier, by command |',
  );
  out('| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --- |');
  for (const r of results) out(row(r));
}

/**
 * The issue's targets for the new design, on the scenarios where Redis comes back with its data
 * (a, b); returns the misses. (c) is printed, not checked: an empty Redis re-seeded is a new
 * generation, so every verifier must read the whole blocklist again (N × M events leave Redis,
 * 1.3 GB at 1,000 × 10k) and its time is bound by that volume, not by the reconnect.
 */
function check(results: Result[]): string[] {
  const misses: string[] = [];
  for (const r of results) {
    if (r.design !== 'stream' || r.scenario === 'c') continue;
    const label = `${SCENARIO_NAMES[r.scenario]} N=${r.n} M=${r.m}`;
    const perVerifier = r.feeds.commands / r.n;
    if (perVerifier > TARGET_COMMANDS_PER_VERIFIER)
      misses.push(
        `${label}: ${perVerifier.toFixed(1)} commands per verifier for a reconnect that missed nothing (target <= ${TARGET_COMMANDS_PER_VERIFIER})`,
      );
    const worst = r.freshMs.at(-1)!;
    if (worst > TARGET_FRESH_MS)
      misses.push(`${label}: last feed fresh ${fmt(worst)} ms after Redis answered (target <= ${TARGET_FRESH_MS} ms)`);
  }
  return misses;
}

// Ctrl-C or a timeout(1) ends the bench through process.exit, whose handler kills the servers it started.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    const bounded = Promise.race([Promise.allSettled([...teardowns].map((t) => t())), sleep(10_000)]);
    void bounded.then(() => process.exit(130));
  });

async function main(): Promise<void> {
  let failed: boolean;
  try {
    const { cells, skipped, workers, timeoutMs } = parse();
    out(`bench:fleet — ${new Date().toISOString()}, Node ${process.version}, ${workers} worker processes`);
    const skippedFleets = new Map<string, Cell>();
    for (const s of skipped) skippedFleets.set(`${s.design} N=${s.n} M=${s.m}`, s);
    for (const [label, s] of skippedFleets)
      out(`  skipped by default: ${label}, N × M = ${fmt(s.n * s.m)} entries read per full fleet sync (run it with --n/--m)`);
    const results: Result[] = [];
    const groups = new Map<string, Cell[]>();
    for (const cell of cells) {
      const key = cell.scenario === 'b' ? `${cell.design}/${cell.n}/${cell.m}/b` : `${cell.design}/${cell.n}/${cell.m}/node`;
      groups.set(key, [...(groups.get(key) ?? []), cell]);
    }
    for (const group of groups.values()) {
      if (group[0]!.scenario === 'b') {
        const result = await runSentinel(group[0]!, workers, timeoutMs);
        out(`  ${row(result)}`);
        results.push(result);
      } else results.push(...(await runNode(group, workers, timeoutMs)));
    }
    results.sort((x, y) => x.scenario.localeCompare(y.scenario) || x.m - y.m || x.n - y.n || x.design.localeCompare(y.design));
    out();
    table(results);
    out();
    out(
      'Commands, bytes and CPU: INFO deltas on the server that served the catch-up (c: the re-seed’s own share, measured on the idle server, taken out);',
    );
    out('(c) times are from the re-seed’s end; from Redis answering again add the re-seed column.');
    const misses = check(results);
    for (const miss of misses) out(`target missed — ${miss}`);
    if (results.some((r) => r.design === 'stream') && misses.length === 0)
      out(
        `targets (stream, a + b): <= ${TARGET_COMMANDS_PER_VERIFIER} commands per verifier after a reconnect that missed nothing, all fresh within ${TARGET_FRESH_MS} ms of Redis answering — OK`,
      );
    failed = misses.length > 0;
  } catch (e) {
    process.stderr.write(`bench:fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}

void main();
