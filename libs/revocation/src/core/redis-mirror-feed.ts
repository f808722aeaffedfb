import { type BackoffOptions, backoffDelay } from '@authmesh/platform/core';
import { Cluster, type Redis } from 'ioredis';
import { RevocationKeyspace, parseRevocationEvent } from './keyspace.js';
import {
  type RevocationFeed,
  type RevocationFeedObserver,
  type RevocationFeedStatus,
  type RevocationLogger,
  silentLogger,
} from './revocation-feed.js';
import type { RevocationMirror } from './revocation-mirror.js';

/** A failed re-sync is retried after 100 ms, doubling to at most 2 s: Redis is back within a heartbeat or two. */
const RESYNC_BACKOFF: BackoffOptions = { initial: 100, max: 2000 };

export interface RedisMirrorFeedOptions {
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
 * Works on a single node and behind Sentinel; with a `Cluster` client the subscription uses the
 * cluster's subscriber and the scan visits every master (GETs are pipelined per node, never across
 * slots). Only the single node is exercised by the tests.
 */
export class RedisMirrorFeed implements RevocationFeed {
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
    options: RedisMirrorFeedOptions = {},
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
    for (const sleeper of this.sleeping) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleeping.clear();
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
    };
  }

  /** One full pass over the blocklist keys, merged into the mirror. Returns how many entries it read. */
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
      if (epoch === this.epoch && !this.stopped) this.subscriber.disconnect(true);
      return;
    }
    if (epoch !== this.epoch || this.stopped) return;
    this.connected = true;
    const subscribedAt = this.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const entries = await this.resync();
        if (epoch !== this.epoch || this.stopped) return;
        this.syncs++;
        this.lastSyncAt = this.now();
        this.logger.info(
          `revocation mirror in sync: ${entries} entries read from Redis (${this.mirror.size.jti} jti, ${this.mirror.size.sub} sub held)`,
        );
        break;
      } catch (e) {
        this.observer.syncFailed?.();
        this.noteError(e);
        if (epoch !== this.epoch || this.stopped) return;
        await this.sleep(backoffDelay(attempt + 1, RESYNC_BACKOFF));
        if (epoch !== this.epoch || this.stopped) return;
      }
    }
    this.synced = true;
    this.failedHeartbeats = 0;
    this.lastError = undefined;
    this.mirror.markFresh(subscribedAt);
    this.resolveFirstSync();
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
  }

  private onMessage(channel: string, message: string): void {
    if (channel !== this.keyspace.channel) return;
    this.observer.eventReceived?.();
    const event = parseRevocationEvent(message);
    if (event) this.mirror.apply(event);
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
