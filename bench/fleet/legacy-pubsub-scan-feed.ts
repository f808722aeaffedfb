// Today's design, kept only to compare: a verbatim copy of libs/revocation/src/core/redis-mirror-feed.ts
// as of commit 2dd8f71 (pub/sub plus a full SCAN + GET re-sync after every reconnect), so
// `npm run bench:fleet` can measure it side by side with the feed @authmesh/revocation exports now.
// Only the imports (the mirror from @authmesh/revocation; today's key layout and feed interfaces
// from legacy-keyspace.ts and legacy-revocation-feed.ts) and the class/options names changed.
// Not used by any app; do not fix bugs here, they are part of what is measured.
import { type BackoffOptions, backoffDelay } from '@authmesh/platform/core';
import { Cluster, type Redis } from 'ioredis';
import type { RevocationMirror } from '@authmesh/revocation';
import { RevocationKeyspace, parseGeneration, parseRevocationEvent } from './legacy-keyspace.js';
import {
  type RevocationFeed,
  type RevocationFeedObserver,
  type RevocationFeedStatus,
  type RevocationLogger,
  silentLogger,
} from './legacy-revocation-feed.js';

/** A failed re-sync is retried after 100 ms, doubling to at most 2 s: Redis is back within a heartbeat or two. */
const RESYNC_BACKOFF: BackoffOptions = { initial: 100, max: 2000 };
/**
 * Waiting for auth's seed: the marker is read again after 50 ms, doubling to at most 500 ms, so a
 * verifier is ready within half a second of the seed even if it missed the `resync` announcement.
 */
const SEED_POLL_BACKOFF: BackoffOptions = { initial: 50, max: 500 };

/** What one pass of a re-sync found. */
type SyncPass =
  /** The marker stood before and after the scan: the mirror holds everything written before `scanStartedAt`. */
  | { readonly kind: 'complete'; readonly entries: number; readonly scanStartedAt: number }
  /** No marker: Redis lost its data or auth is re-seeding it; what a scan reads now may be partial. */
  | { readonly kind: 'unseeded' }
  /** The marker changed or vanished during the scan (a re-seed or a flush): scan again. */
  | { readonly kind: 'changed' };

export interface LegacyPubSubScanFeedOptions {
  /** Namespace of keys and channel; must match the writers' (default none). */
  readonly keyPrefix?: string;
  /** How often the subscription is proven alive with a PING on it (default 1000 ms). */
  readonly heartbeatMs?: number;
  /** A PING or re-sync command taking longer counts as failed (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /** Consecutive failed heartbeats before the subscriber connection is dropped and re-made (default 3). */
  readonly maxFailedHeartbeats?: number;
  /** SCAN batch size (default 1000). */
  readonly scanCount?: number;
  /** Suffix of the Redis CLIENT names, e.g. `orders` → `authmesh-orders-revocation-sub`. */
  readonly name?: string;
  readonly logger?: RevocationLogger;
  readonly observer?: RevocationFeedObserver;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

type Client = Redis | Cluster;

/**
 * Feeds a mirror from Redis: SUBSCRIBE to the revocation channel on a connection of its own, and
 * after every (re)connect a full re-sync (SCAN `revoked:*` + GET) through a second connection,
 * started only once the subscription is confirmed, so a revocation written at any moment is seen
 * by the scan or the channel (or both; applying twice is harmless).
 *
 * Freshness: the mirror is "fresh at T" when a subscription confirmed at or before T was followed
 * by a complete re-sync and stayed up. A PING on the subscriber connection every `heartbeatMs`
 * proves that: Redis answers it on the same connection after every message published before it,
 * so a PONG for a PING sent at T means nothing published before T is still in flight. A silently
 * dead connection (no RST, a partition) therefore shows up as growing staleness within a heartbeat
 * or two, and after `maxFailedHeartbeats` the connection is re-made.
 *
 * Completeness: auth writes a generation marker (`revocation:generation`, no TTL) once the blocklist
 * holds its whole ledger. A re-sync reads it first: absent (a flush, an empty restart, a failover to
 * an empty replica, a re-seed under way), the scan would read a partial blocklist, so the feed does
 * not call itself synced (`awaitingSeed`) and reads the marker again at short intervals, or at once
 * on auth's `resync` announcement. It scans again when the marker changed during the scan. A feed
 * that stayed subscribed through a flush lost no message, so it stays synced and fresh; it answers
 * `resync` with a merging pass. The mirror only ever merges: no entry is dropped before it expires.
 *
 * Works on a single node and behind Sentinel; with a `Cluster` client the subscription uses the
 * cluster's subscriber and the scan visits every master (GETs are pipelined per node, never across
 * slots). Only the single node is exercised by the tests.
 */
export class LegacyPubSubScanFeed implements RevocationFeed {
  private readonly keyspace: RevocationKeyspace;
  private readonly subscriber: Client;
  private readonly commands: Client;
  private readonly heartbeatMs: number;
  private readonly timeoutMs: number;
  private readonly maxFailedHeartbeats: number;
  private readonly scanCount: number;
  private readonly logger: RevocationLogger;
  private readonly observer: RevocationFeedObserver;
  private readonly now: () => number;

  /** Bumped on every (re)connect and disconnect: work started in an older epoch is dropped. */
  private epoch = 0;
  private connected = false;
  private synced = false;
  private stopped = false;
  private syncs = 0;
  private lastSyncAt: number | undefined;
  private lastError: string | undefined;
  private awaitingSeed = false;
  /** The epoch whose sync loop is running (one per epoch; `resync` announcements join it). */
  private syncingEpoch: number | undefined;
  /** A `resync` announcement arrived while a pass ran: the loop makes one more pass (coalesced). */
  private syncRequested = false;
  private failedHeartbeats = 0;
  private heartbeatInFlight = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastErrorLogAt = 0;
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private resolveFirstSync!: () => void;
  private readonly firstSync = new Promise<void>((resolve) => {
    this.resolveFirstSync = resolve;
  });

  constructor(
    client: Client,
    private readonly mirror: RevocationMirror,
    options: LegacyPubSubScanFeedOptions = {},
  ) {
    this.keyspace = new RevocationKeyspace(options.keyPrefix);
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    this.maxFailedHeartbeats = options.maxFailedHeartbeats ?? 3;
    this.scanCount = options.scanCount ?? 1000;
    this.logger = options.logger ?? silentLogger;
    this.observer = options.observer ?? {};
    this.now = options.now ?? Date.now;
    const name = options.name ?? 'verifier';
    this.subscriber = duplicate(client, `authmesh-${name}-revocation-sub`);
    this.commands = duplicate(client, `authmesh-${name}-revocation-sync`);

    this.subscriber.on('ready', () => void this.onReady());
    this.subscriber.on('close', () => this.onClose());
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    // Without listeners ioredis reports "Unhandled error event"; connection errors show up as staleness.
    for (const connection of [this.subscriber, this.commands]) connection.on('error', (e: Error) => this.noteError(e));
  }

  start(): Promise<void> {
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    // A failed first connect is retried by ioredis's retryStrategy; the mirror stays stale meanwhile.
    for (const connection of [this.subscriber, this.commands]) connection.connect().catch((e: unknown) => this.noteError(e));
    return this.firstSync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.epoch++;
    clearInterval(this.heartbeat);
    this.wakeSleepers();
    this.setAwaitingSeed(false);
    this.subscriber.disconnect();
    this.commands.disconnect();
  }

  status(): RevocationFeedStatus {
    return {
      source: 'redis',
      connected: this.connected,
      synced: this.synced,
      syncs: this.syncs,
      ...(this.lastSyncAt === undefined ? {} : { lastSyncAt: new Date(this.lastSyncAt).toISOString() }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.awaitingSeed ? { awaitingSeed: true as const } : {}),
    };
  }

  /**
   * One full pass over the blocklist keys, merged into the mirror. Returns how many entries it read.
   * It does not look at the generation marker: the feed's own re-syncs do (see the class comment).
   */
  async resync(): Promise<number> {
    const started = this.now();
    let entries = 0;
    for (const node of this.scanNodes()) {
      let cursor = '0';
      do {
        const [next, keys] = await this.bounded(node.scan(cursor, 'MATCH', this.keyspace.scanPattern, 'COUNT', this.scanCount));
        cursor = next;
        if (keys.length === 0) continue;
        // One GET per key, pipelined to the node that holds them (no multi-key command: Cluster-safe).
        const replies = await this.bounded(node.pipeline(keys.map((key) => ['get', key])).exec());
        keys.forEach((key, i) => {
          const [err, value] = replies?.[i] ?? [null, null];
          // A key that expired between SCAN and GET reads as null: nothing to apply.
          const event = err ? undefined : this.keyspace.eventOf(key, value as string | null);
          if (event) {
            this.mirror.apply(event);
            entries++;
          }
        });
      } while (cursor !== '0');
    }
    this.observer.synced?.(entries, this.now() - started);
    return entries;
  }

  private scanNodes(): Redis[] {
    return this.commands instanceof Cluster ? this.commands.nodes('master') : [this.commands];
  }

  private async onReady(): Promise<void> {
    const epoch = ++this.epoch;
    this.synced = false;
    try {
      // Our own SUBSCRIBE on every ready (autoResubscribe is off), so we know when it is confirmed.
      await this.bounded(this.subscriber.subscribe(this.keyspace.channel));
    } catch (e) {
      this.noteError(e);
      if (this.current(epoch)) this.subscriber.disconnect(true);
      return;
    }
    if (!this.current(epoch)) return;
    this.connected = true;
    await this.syncLoop(epoch);
  }

  /** Answers a `resync` announcement: one more merging pass, joined to the running one if any. */
  private requestSync(): void {
    // Not subscribed yet: the connect sync that follows the subscription reads everything anyway.
    if (this.stopped || !this.connected) return;
    this.syncRequested = true;
    // Cut a marker poll (or a retry backoff) short: the seed the announcement reports is there now.
    this.wakeSleepers();
    if (this.syncingEpoch !== this.epoch) void this.syncLoop(this.epoch);
  }

  /**
   * Passes until one is complete (and no announcement arrived meanwhile), or the epoch ends. A
   * connect sync that completes marks the mirror synced and fresh as of its scan's start: every
   * revocation written before it was in Redis (the marker says the blocklist was whole) and read,
   * every later one comes on the subscription confirmed before the scan.
   */
  private async syncLoop(epoch: number): Promise<void> {
    this.syncingEpoch = epoch;
    let failures = 0;
    let polls = 0;
    try {
      while (this.current(epoch)) {
        this.syncRequested = false;
        let pass: SyncPass;
        try {
          pass = await this.syncPass();
        } catch (e) {
          this.observer.syncFailed?.();
          this.noteError(e);
          if (!this.current(epoch)) return;
          await this.sleep(backoffDelay(++failures, RESYNC_BACKOFF));
          continue;
        }
        if (!this.current(epoch)) return;
        failures = 0;
        if (pass.kind === 'changed') continue;
        if (pass.kind === 'unseeded') {
          // Subscribed since the last complete sync (a flush under a running feed): no message was
          // lost, so the mirror stays synced and fresh; auth's announcement of its seed brings a pass.
          if (this.synced) {
            if (this.syncRequested) continue;
            return;
          }
          this.setAwaitingSeed(true);
          await this.sleep(backoffDelay(++polls, SEED_POLL_BACKOFF));
          continue;
        }
        this.completed(pass);
        if (!this.syncRequested) return;
      }
    } finally {
      if (this.syncingEpoch === epoch) this.syncingEpoch = undefined;
    }
  }

  /** Marker, scan, marker: complete only if the same seed stood before and after the scan. */
  private async syncPass(): Promise<SyncPass> {
    const generation = await this.readGeneration();
    if (generation === undefined) return { kind: 'unseeded' };
    const scanStartedAt = this.now();
    const entries = await this.resync();
    if ((await this.readGeneration()) !== generation) return { kind: 'changed' };
    return { kind: 'complete', entries, scanStartedAt };
  }

  private async readGeneration(): Promise<number | undefined> {
    return parseGeneration(await this.bounded(this.commands.get(this.keyspace.generationKey)));
  }

  private completed(pass: Extract<SyncPass, { kind: 'complete' }>): void {
    this.syncs++;
    this.lastSyncAt = this.now();
    this.setAwaitingSeed(false);
    this.logger.info(
      `revocation mirror in sync: ${pass.entries} entries read from Redis (${this.mirror.size.jti} jti, ${this.mirror.size.sub} sub held)`,
    );
    this.mirror.markFresh(pass.scanStartedAt);
    if (this.synced) return;
    this.synced = true;
    this.failedHeartbeats = 0;
    this.lastError = undefined;
    this.resolveFirstSync();
  }

  private setAwaitingSeed(waiting: boolean): void {
    if (this.awaitingSeed === waiting) return;
    this.awaitingSeed = waiting;
    this.observer.awaitingSeed?.(waiting);
    if (waiting)
      this.logger.warn(
        `revocation data is being re-seeded by auth: Redis holds no ${this.keyspace.generationKey} marker (it lost its data, or ` +
          'the seed is under way); the mirror keeps what it holds and is not fresh until the seed completes',
      );
  }

  private current(epoch: number): boolean {
    return epoch === this.epoch && !this.stopped;
  }

  private onClose(): void {
    if (this.stopped) return;
    this.epoch++;
    if (this.connected) {
      const age = Math.round(this.mirror.stalenessMs(this.now()) / 1000);
      this.logger.warn(`revocation channel lost; verifying on revocation data last known fresh ${age}s ago until it is back`);
    }
    this.connected = false;
    this.synced = false;
    // Disconnected is the reason now; the next connect sync reads the marker again.
    this.setAwaitingSeed(false);
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.keyspace.channel) return;
    this.observer.eventReceived?.();
    const event = parseRevocationEvent(message);
    if (event?.kind === 'resync') this.requestSync();
    else if (event) this.mirror.apply(event);
    else this.logger.warn(`ignored a malformed message on ${channel} (${message.length} bytes)`);
  }

  private async beat(): Promise<void> {
    if (this.stopped || !this.synced || this.heartbeatInFlight) return;
    const epoch = this.epoch;
    const sentAt = this.now();
    this.heartbeatInFlight = true;
    try {
      await this.bounded(this.subscriber.ping());
      if (epoch !== this.epoch || !this.synced) return;
      this.failedHeartbeats = 0;
      this.mirror.markFresh(sentAt);
    } catch (e) {
      this.noteError(e);
      if (epoch === this.epoch && ++this.failedHeartbeats >= this.maxFailedHeartbeats && !this.stopped) {
        this.logger.warn(`revocation subscriber answered no PING ${this.failedHeartbeats} times; reconnecting`);
        this.failedHeartbeats = 0;
        this.subscriber.disconnect(true);
      }
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  private noteError(e: unknown): void {
    this.lastError = e instanceof Error ? e.message : String(e);
    const nowMs = this.now();
    if (nowMs - this.lastErrorLogAt > 10_000) {
      this.lastErrorLogAt = nowMs;
      this.logger.warn(`revocation feed: ${this.lastError}`);
    }
  }

  private wakeSleepers(): void {
    for (const sleeper of this.sleeping) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleeping.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleeping.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      sleeper.timer.unref();
      this.sleeping.add(sleeper);
    });
  }

  private async bounded<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis command timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A connection of our own with the app client's address and options, connected by `start()`. */
function duplicate(client: Client, connectionName: string): Client {
  if (client instanceof Cluster) {
    return client.duplicate(undefined, { lazyConnect: true, redisOptions: { ...client.options.redisOptions, connectionName } });
  }
  return client.duplicate({
    connectionName,
    lazyConnect: true,
    // Fail fast while disconnected (the feed retries on its own); re-subscribe ourselves on ready.
    enableOfflineQueue: false,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
  });
}
