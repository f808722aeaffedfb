/**
 * One of bench:fleet's child processes: runs its share of the N verifier feeds, each exactly what
 * a verifier pod runs (a `RevocationMirror` fed by a Redis feed over connections of its own), and
 * tells the parent over IPC when every one of them is in sync and fresh again after a fault.
 *
 * Feeds are spread over a few processes so 1,000 of them do not measure one event loop.
 */
import { type RevocationEvent, RedisMirrorFeed, RevocationMirror } from '@authmesh/revocation';
import { Redis, type RedisOptions } from 'ioredis';
import { LegacyPubSubScanFeed } from './legacy-pubsub-scan-feed.js';
import { CLOCK_TOLERANCE_S, type Design, MAX_TOKEN_LIFETIME_S } from './seed.js';

/** Where the feeds connect: one node, or a master behind Sentinel. */
export type RedisTarget =
  | { readonly kind: 'node'; readonly port: number }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly { host: string; port: number }[]; readonly name: string };

export type ToWorker =
  | { readonly t: 'init'; readonly design: Design; readonly target: RedisTarget; readonly count: number; readonly offset: number }
  /** Report once every feed is synced and its mirror fresh as of a moment after `sinceMs`. */
  | { readonly t: 'watch'; readonly sinceMs: number }
  | { readonly t: 'stop' };

export type FromWorker =
  | { readonly t: 'ready'; readonly ms: number }
  /** Per feed, `Date.now()` when it was first seen synced and fresh after `sinceMs`; events applied meanwhile. */
  | { readonly t: 'caught'; readonly at: readonly number[]; readonly applied: number }
  | { readonly t: 'stopped' }
  | { readonly t: 'failed'; readonly error: string };

/** How often the worker looks at its feeds while waiting for them (ms): the resolution of the times. */
const POLL_MS = 10;

/**
 * One verifier's mirror, all of whose entries live in the worker's one shared mirror: 1,000 pods
 * × 100k entries would be 100M map entries (~10 GB) on one machine, where a real pod holds one
 * copy. Every `apply` a feed makes is still a real apply (a Map lookup, an insert the first
 * time); freshness (`markFresh`, `stalenessMs`) is this feed's own.
 */
class FleetMirror extends RevocationMirror {
  applied = 0;
  constructor(private readonly shared: RevocationMirror) {
    super({ clockToleranceSeconds: CLOCK_TOLERANCE_S, maxTokenLifetimeSeconds: MAX_TOKEN_LIFETIME_S });
  }

  override apply(event: RevocationEvent): boolean {
    this.applied++;
    return this.shared.apply(event);
  }
}

/** The base client a verifier builds (platform's RedisConnection options); the feed duplicates it for its own connections. */
function baseClient(target: RedisTarget, index: number): Redis {
  const options: RedisOptions = {
    connectionName: `authmesh-bench-${index}`,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  if (target.kind === 'node') return new Redis(target.port, '127.0.0.1', options);
  return new Redis({ ...options, sentinels: target.sentinels.map((s) => ({ ...s })), name: target.name });
}

/** What the bench needs of a feed, whichever design (the library's feed interface may grow). */
interface BenchFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): { readonly synced: boolean };
}

function createFeed(design: Design, client: Redis, mirror: RevocationMirror, name: string): BenchFeed {
  // `stream` is whatever @authmesh/revocation exports as its Redis feed today.
  return design === 'legacy' ? new LegacyPubSubScanFeed(client, mirror, { name }) : new RedisMirrorFeed(client, mirror, { name });
}

interface Verifier {
  readonly feed: BenchFeed;
  readonly mirror: FleetMirror;
}

let verifiers: Verifier[] = [];
let watcher: NodeJS.Timeout | undefined;

function send(message: FromWorker): void {
  process.send?.(message);
}

async function init(message: Extract<ToWorker, { t: 'init' }>): Promise<void> {
  const shared = new RevocationMirror({ clockToleranceSeconds: CLOCK_TOLERANCE_S, maxTokenLifetimeSeconds: MAX_TOKEN_LIFETIME_S });
  verifiers = Array.from({ length: message.count }, (_, i) => {
    const index = message.offset + i;
    const mirror = new FleetMirror(shared);
    return { mirror, feed: createFeed(message.design, baseClient(message.target, index), mirror, `bench-${index}`) };
  });
  const started = Date.now();
  await Promise.all(verifiers.map((v) => v.feed.start()));
  send({ t: 'ready', ms: Date.now() - started });
}

function watch(sinceMs: number): void {
  clearInterval(watcher);
  const at: number[] = verifiers.map(() => 0);
  const appliedBefore = verifiers.reduce((sum, v) => sum + v.mirror.applied, 0);
  let remaining = verifiers.length;
  const look = (): void => {
    const now = Date.now();
    verifiers.forEach((v, i) => {
      if (at[i] !== 0) return;
      // Fresh after the fault: the mirror holds everything written up to a moment after it.
      if (v.feed.status().synced && v.mirror.lastFreshAtMs > sinceMs) {
        at[i] = now;
        remaining--;
      }
    });
    if (remaining > 0) return;
    clearInterval(watcher);
    send({ t: 'caught', at, applied: verifiers.reduce((sum, v) => sum + v.mirror.applied, 0) - appliedBefore });
  };
  watcher = setInterval(look, POLL_MS);
}

async function stop(): Promise<void> {
  clearInterval(watcher);
  await Promise.all(verifiers.map((v) => v.feed.stop()));
  send({ t: 'stopped' });
  process.disconnect?.();
}

// The parent is gone (a crash, Ctrl-C): nothing will ever stop these feeds, so end with it.
process.on('disconnect', () => process.exit(0));

process.on('message', (message: ToWorker) => {
  const run = message.t === 'init' ? init(message) : message.t === 'watch' ? Promise.resolve(watch(message.sinceMs)) : stop();
  run.catch((e: unknown) => send({ t: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
});
