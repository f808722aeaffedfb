import { createHash } from 'node:crypto';
import { type BackoffOptions, backoffDelay } from '@authmesh/platform/core';
import { Cluster, type Redis } from 'ioredis';
import { RevocationReaderNotMasterError } from '../errors.js';
import type { RevocationEvent } from '../revocation-store.js';
import { EVENT_FIELD, RevocationKeyspace, compareStreamIds, parseGeneration, parseRevocationEvent } from './keyspace.js';
import {
  type RevocationFeed,
  type RevocationFeedListener,
  type RevocationFeedObserver,
  type RevocationFeedStatus,
  type RevocationLogger,
  notifyListeners,
  silentLogger,
} from './revocation-feed.js';
import type { RevocationMirror } from './revocation-mirror.js';

/** A failed read is retried after 100 ms, doubling to at most 2 s: Redis is back within a heartbeat or two. */
const RETRY_BACKOFF: BackoffOptions = { initial: 100, max: 2000 };
/**
 * Waiting for auth's seed: the marker is read again after 50 ms, doubling to at most 500 ms, so a
 * verifier is ready within half a second of the seed.
 */
const SEED_POLL_BACKOFF: BackoffOptions = { initial: 50, max: 500 };

/**
 * The marker and the stream's last id in one round trip (both keys carry the hash tag: one slot).
 * KEYS: marker, stream. Returns [marker or nil, last id or '0-0'].
 */
const LOCATE = `local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
return {redis.call('GET', KEYS[1]), last[1] and last[1][1] or '0-0'}`;
const LOCATE_SHA = createHash('sha1').update(LOCATE).digest('hex');

/** What the marker and the stream's end were when the feed last looked (its LOCATE script). */
interface Located {
  /** The stream's last id then: a read is complete once it has applied up to here. */
  readonly lastId: string;
  /** When the script was sent: a read complete up to `lastId` holds everything written before this. */
  readonly locatedAt: number;
}

/** Where a (re)connect reads from. */
type Position =
  /** No marker: Redis lost its data or auth is re-seeding it; what the stream holds now may be partial. */
  | { readonly kind: 'unseeded' }
  /** The marker this mirror synced against, and the stream reaches at least its position: read what came after. */
  | (Located & { readonly kind: 'resume'; readonly generation: number; readonly from: string })
  /** A new generation (a re-seed), a first sync, or the stream behind the mirror's position: read it all. */
  | (Located & { readonly kind: 'full'; readonly generation: number; readonly regression: boolean });

type StreamEntry = [id: string, fields: string[]];

export interface RedisMirrorFeedOptions {
  /** Namespace of the keys; must match the writers' (default none). */
  readonly keyPrefix?: string;
  /**
   * How long one XREAD blocks waiting for events (default 1000 ms): a reply, even an empty one at
   * the timeout, proves the mirror complete as of when the read was sent, so a healthy mirror is at
   * most this old.
   */
  readonly heartbeatMs?: number;
  /** An XREAD unanswered this long past its block time, or another command this slow, counts as failed (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /** Consecutive failed reads (one per further heartbeat without a reply) before the connection is re-made (default 3). */
  readonly maxFailedHeartbeats?: number;
  /** Events per XREAD (default 1000). */
  readonly readCount?: number;
  /** @deprecated the feed no longer SCANs; read as `readCount`. */
  readonly scanCount?: number;
  /** Suffix of the Redis CLIENT name, e.g. `orders` → `authmesh-orders-revocation-stream`. */
  readonly name?: string;
  readonly logger?: RevocationLogger;
  readonly observer?: RevocationFeedObserver;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

type Client = Redis | Cluster;

/**
 * Feeds a mirror from Redis's revocation event stream (`{tag}revocation:events`, trimmed to the
 * window in which an event can still matter, so the stream is the whole snapshot), on one
 * connection of its own: `XREAD BLOCK <heartbeatMs> COUNT <n> STREAMS <stream> <last id>` in a loop,
 * applying each event and remembering the last id.
 *
 * Freshness: a reply with fewer than `readCount` events means the mirror held every event written
 * before that XREAD was sent, so the mirror is marked fresh as of the send; an empty reply (the block
 * timed out) as of the send plus the block time (Redis waited that long and nothing came). A silently dead connection (no RST, a partition) shows as a read that does not come
 * back: staleness grows from the first missed heartbeat, and after `maxFailedHeartbeats` the
 * connection is re-made. A slow reader reads a bigger batch; nothing is dropped for it (no pub/sub
 * output buffer to overflow).
 *
 * (Re)connect: one script reads the generation marker (auth writes it once the stream holds its
 * whole ledger) and the stream's last id.
 * - No marker (a flush, an empty restart, a failover to an empty replica, a re-seed under way): the
 *   feed is not synced (`awaitingSeed`) and reads the marker again every 50–500 ms.
 * - The marker this mirror synced against, and the stream's last id at or after the mirror's
 *   position: read from that position on. A reconnect that missed nothing costs that script and one
 *   XREAD, whatever the size of the blocklist.
 * - A new marker (auth re-seeded), or the stream's last id below the mirror's position (Redis went
 *   back in time: a failover to a lagging replica, an AOF `everysec` loss, an older snapshot): read
 *   the whole stream from the start. A read (full or resume) is complete once it has read the entry
 *   the LOCATE saw last: a read that passes that id without seeing it (the stream flushed and
 *   recreated under it) is not synced and reads the marker again. The mirror only ever merges:
 *   nothing is dropped before it expires.
 * A `resync` event of another generation in the stream (auth re-seeded under a running feed) sends
 * the feed through the same check. A loss the reconnect cannot see (Redis lost events, then new
 * ones overtook the mirror's position before it reconnected) is auth's to notice: it re-seeds, and
 * the new generation makes every reader read in full (RevocationReseeder).
 *
 * Every key carries one hash tag, so the same commands run on one node, behind Sentinel and on a
 * Cluster (routed to the slot's master).
 */
export class RedisMirrorFeed implements RevocationFeed {
  private readonly keyspace: RevocationKeyspace;
  private readonly reader: Client;
  private readonly heartbeatMs: number;
  private readonly timeoutMs: number;
  private readonly maxFailedHeartbeats: number;
  private readonly readCount: number;
  private readonly logger: RevocationLogger;
  private readonly observer: RevocationFeedObserver;
  private readonly now: () => number;
  private readonly listeners = new Set<RevocationFeedListener>();

  /** Bumped on every (re)connect and disconnect: work started in an older epoch is dropped. */
  private epoch = 0;
  private connected = false;
  private synced = false;
  private stopped = false;
  private syncs = 0;
  private fullReads = 0;
  private regressions = 0;
  private lastSyncAt: number | undefined;
  private lastError: string | undefined;
  private awaitingSeed = false;
  /** The marker the mirror was last completely read against. */
  private generation: number | undefined;
  /** The last stream id applied: where a reconnect resumes. */
  private position: string | undefined;
  private lastErrorLogAt = 0;
  /** Consecutive connects that reached a replica: how long to wait before the next reconnect. */
  private roleRefusals = 0;
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
    this.heartbeatMs = Math.max(1, Math.round(options.heartbeatMs ?? 1000));
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    this.maxFailedHeartbeats = options.maxFailedHeartbeats ?? 3;
    this.readCount = options.readCount ?? options.scanCount ?? 1000;
    this.logger = options.logger ?? silentLogger;
    this.observer = options.observer ?? {};
    this.now = options.now ?? Date.now;
    this.reader = duplicate(client, `authmesh-${options.name ?? 'verifier'}-revocation-stream`);
    this.reader.on('ready', () => void this.onReady());
    this.reader.on('close', () => this.onClose());
    // Without a listener ioredis reports "Unhandled error event"; connection errors show up as staleness.
    this.reader.on('error', (e: Error) => this.noteError(e));
  }

  start(): Promise<void> {
    // A failed first connect is retried by ioredis's retryStrategy; the mirror stays stale meanwhile.
    this.reader.connect().catch((e: unknown) => this.noteError(e));
    return this.firstSync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.epoch++;
    this.wakeSleepers();
    this.setAwaitingSeed(false);
    this.reader.disconnect();
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
      ...(this.position === undefined ? {} : { position: this.position }),
      ...(this.generation === undefined ? {} : { generation: this.generation }),
      fullReads: this.fullReads,
      regressions: this.regressions,
    };
  }

  listen(listener: RevocationFeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async onReady(): Promise<void> {
    const epoch = ++this.epoch;
    this.connected = true;
    this.synced = false;
    await this.run(epoch);
  }

  /** Locate, read until told to locate again, until the epoch ends (a disconnect or stop). */
  private async run(epoch: number): Promise<void> {
    let failures = 0;
    let polls = 0;
    let roleChecked = false;
    while (this.current(epoch)) {
      let outcome: 'ended' | 'relocate';
      try {
        if (!roleChecked) {
          const role = await this.role();
          if (!this.current(epoch)) return;
          if (role !== 'master') {
            // Staying connected would read the same replica: a reconnect asks Sentinel again.
            this.synced = false;
            this.observer.syncFailed?.();
            this.noteError(new RevocationReaderNotMasterError(role));
            await this.sleep(backoffDelay(++this.roleRefusals, RETRY_BACKOFF));
            if (this.current(epoch)) this.reader.disconnect(true);
            return;
          }
          this.roleRefusals = 0;
          roleChecked = true;
        }
        const position = await this.locate();
        if (!this.current(epoch)) return;
        if (position.kind === 'unseeded') {
          this.setAwaitingSeed(true);
          await this.sleep(backoffDelay(++polls, SEED_POLL_BACKOFF));
          continue;
        }
        polls = 0;
        this.setAwaitingSeed(false);
        outcome = await this.read(epoch, position);
        failures = 0;
      } catch (e) {
        if (!this.current(epoch)) return;
        // A read that failed without a close (a Cluster node gone behind the client, a timeout)
        // broke the continuity that "synced" stands for: the next locate decides afresh.
        this.synced = false;
        this.observer.syncFailed?.();
        this.noteError(e);
        await this.sleep(backoffDelay(++failures, RETRY_BACKOFF));
        continue;
      }
      if (outcome === 'ended') return;
    }
  }

  /**
   * What the connection reached, checked once per (re)connect before the LOCATE: ioredis runs its
   * Sentinel role check only inside the ready check, which this connection turns off, so a
   * Sentinel with a stale view can hand it a demoted master. ROLE cannot run inside a script
   * (Redis refuses it there), hence one command of its own. A Cluster routes the keyed commands to
   * the slot's master (no scaleReads here), so it is not asked.
   */
  private async role(): Promise<string> {
    if (this.reader instanceof Cluster) return 'master';
    const reply = (await this.bounded(this.reader.call('ROLE'))) as unknown[];
    return String(reply[0]);
  }

  private async locate(): Promise<Position> {
    const locatedAt = this.now();
    const [marker, lastId] = (await this.bounded(
      this.script(LOCATE, LOCATE_SHA, [this.keyspace.generationKey, this.keyspace.streamKey]),
    )) as [string | null, string];
    const generation = parseGeneration(marker);
    if (generation === undefined) {
      // Connected and caught up since before the marker went (a flush under a running feed, or a
      // re-seed's claim): nothing was missed on this connection, so it keeps reading where it is.
      if (this.synced && this.position !== undefined && this.generation !== undefined) {
        return { kind: 'resume', generation: this.generation, from: this.position, lastId, locatedAt };
      }
      return { kind: 'unseeded' };
    }
    if (generation === this.generation && this.position !== undefined) {
      if (compareStreamIds(lastId, this.position) >= 0) return { kind: 'resume', generation, from: this.position, lastId, locatedAt };
      return { kind: 'full', generation, regression: true, lastId, locatedAt };
    }
    return { kind: 'full', generation, regression: false, lastId, locatedAt };
  }

  /**
   * Reads from the position until the epoch ends ('ended') or the marker must be read again
   * ('relocate': a `resync` of another generation, or a read that could not reach the stream's end
   * as located because the stream lost it meanwhile).
   */
  private async read(epoch: number, position: Exclude<Position, { kind: 'unseeded' }>): Promise<'ended' | 'relocate'> {
    let from = position.kind === 'resume' ? position.from : '0-0';
    if (position.kind === 'full') {
      if (position.regression) {
        this.regressions++;
        this.observer.regression?.();
        this.logger.warn(
          `Redis holds revocation events only up to ${position.lastId}, behind ${this.position} which this mirror applied ` +
            '(a failover to a lagging replica, or a restart that lost writes): reading the whole stream',
        );
      }
      this.generation = position.generation;
      this.fullReads++;
      notifyListeners(this.listeners, (l) => l.reset?.());
    }
    const started = this.now();
    let entries = 0;
    // A resume under a running feed (a `resync` whose seed has already lost its marker again, read
    // on a connection that never broke) is caught up already.
    let caughtUp = this.synced && position.kind === 'resume';
    // Complete once it has read the located end itself (or started there): the marker stood at the
    // LOCATE, so everything written before it is in the mirror. An id past the end is not enough: a
    // FLUSHALL (or an eviction of the stream) under the read, then a re-seed's first XADDs, recreate
    // the stream with ids past the end while the events between the read's position and the end are
    // gone; calling that complete let a token they revoked through under `reject`. A reconnect that
    // missed nothing is complete at once, without waiting for an XREAD.
    let endRead = compareStreamIds(from, position.lastId) >= 0;
    const reachedEnd = (): void => {
      if (caughtUp || !endRead) return;
      caughtUp = true;
      this.mirror.markFresh(position.locatedAt);
      this.completed(position.kind, entries, this.now() - started);
    };
    reachedEnd();
    while (this.current(epoch)) {
      const sentAt = this.now();
      const batch = await this.readBatch(epoch, from);
      if (!this.current(epoch)) return 'ended';
      let relocate = false;
      for (const [id, fields] of batch) {
        if (!caughtUp && !endRead) {
          const vsEnd = compareStreamIds(id, position.lastId);
          if (vsEnd === 0) endRead = true;
          // Past the located end without its entry: the stream lost it under the read.
          else if (vsEnd > 0) return this.lostEnd(position);
        }
        from = id;
        this.position = id;
        const event = eventOf(fields);
        this.observer.eventReceived?.();
        if (event === undefined) {
          this.logger.warn(`ignored a malformed revocation event ${id} on ${this.keyspace.streamKey}`);
          continue;
        }
        this.mirror.apply(event);
        notifyListeners(this.listeners, (l) => l.event(event));
        // Auth re-seeded since the LOCATE (a resync up to the located end is an older seed's, which
        // the marker read then already accounts for): read the marker again.
        if (event.kind === 'resync' && event.generation !== this.generation && compareStreamIds(id, position.lastId) > 0) relocate = true;
      }
      entries += batch.length;
      if (relocate) return 'relocate';
      reachedEnd();
      if (batch.length >= this.readCount) continue; // more are waiting
      // All there is, yet short of the end the LOCATE saw: the stream lost entries under the read
      // (a flush, a restart): read the marker again rather than call a partial mirror complete.
      if (!caughtUp) return this.lostEnd(position);
      // Events in the reply: complete as of when Redis replied, known only to be after the send.
      // None (the block timed out): Redis waited at least the block time after receiving the read,
      // so nothing was written before send + block, or before the reply if it came sooner. Without
      // that, a mirror would read up to two block times stale between idle replies.
      this.mirror.markFresh(batch.length > 0 ? sentAt : Math.min(sentAt + this.heartbeatMs, this.now()));
    }
    return 'ended';
  }

  /**
   * The stream no longer holds the end the LOCATE saw, and the read had not reached it: what the
   * mirror holds is not known complete, so the feed is not synced and reads the marker again. No
   * marker (a flush, a seed under way) then waits for auth's seed; a marker still standing (only the
   * stream evicted) reads the stream in full, never resumes past the lost entries.
   */
  private lostEnd(position: Located): 'relocate' {
    this.logger.warn(
      `revocation stream ${this.keyspace.streamKey} lost its entries up to ${position.lastId} while this feed read them ` +
        '(a flush or an eviction under the read): not synced; reading the marker again',
    );
    this.synced = false;
    this.generation = undefined;
    return 'relocate';
  }

  /** One XREAD, waiting through up to `maxFailedHeartbeats` late heartbeats, then re-making the connection. */
  private async readBatch(epoch: number, from: string): Promise<StreamEntry[]> {
    const reply = this.reader.xread('COUNT', this.readCount, 'BLOCK', this.heartbeatMs, 'STREAMS', this.keyspace.streamKey, from);
    // Abandoned after a reconnect, it rejects later: nobody awaits it then.
    reply.catch(() => undefined);
    let waitMs = this.heartbeatMs + this.timeoutMs;
    for (let failed = 1; ; failed++) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), waitMs);
      });
      const outcome = await Promise.race([reply, late]).finally(() => clearTimeout(timer));
      if (outcome !== 'late') return (outcome?.[0]?.[1] ?? []) as StreamEntry[];
      if (!this.current(epoch)) return [];
      this.noteError(new Error(`revocation stream read unanswered ${failed} heartbeat(s) past its block time`));
      if (failed >= this.maxFailedHeartbeats) {
        this.logger.warn(`revocation stream answered no XREAD for ${failed} heartbeats; reconnecting`);
        this.reader.disconnect(true);
        throw new Error('revocation stream read timed out');
      }
      waitMs = this.heartbeatMs;
    }
  }

  private completed(mode: 'resume' | 'full', entries: number, durationMs: number): void {
    this.syncs++;
    this.lastSyncAt = this.now();
    this.observer.synced?.(entries, durationMs);
    this.observer.caughtUp?.(mode, entries);
    const held = `${this.mirror.size.jti} jti, ${this.mirror.size.sub} sub held`;
    this.logger.info(
      mode === 'full'
        ? `revocation mirror in sync: read the whole event stream, ${entries} events (${held})`
        : `revocation mirror caught up from ${this.position ?? 'the start'}: ${entries} events missed (${held})`,
    );
    if (this.synced) return;
    this.synced = true;
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
      this.logger.warn(`revocation stream connection lost; verifying on revocation data last known fresh ${age}s ago until it is back`);
    }
    this.connected = false;
    this.synced = false;
    // Disconnected is the reason now; the next connect reads the marker again.
    this.setAwaitingSeed(false);
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

  /** EVALSHA, or EVAL once when the server does not know the script (first use, a restart, SCRIPT FLUSH). */
  private async script(source: string, sha: string, keys: string[]): Promise<unknown> {
    try {
      return await this.reader.evalsha(sha, keys.length, ...keys);
    } catch (e) {
      if (!/NOSCRIPT/.test(String(e))) throw e;
      return this.reader.eval(source, keys.length, ...keys);
    }
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

/** The event a stream entry carries (field `e`), or undefined for an entry that is not ours. */
function eventOf(fields: string[]): RevocationEvent | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === EVENT_FIELD) return parseRevocationEvent(fields[i + 1]);
  return undefined;
}

/** A connection of our own with the app client's address and options, connected by `start()`. */
function duplicate(client: Client, connectionName: string): Client {
  if (client instanceof Cluster) {
    return client.duplicate(undefined, { lazyConnect: true, redisOptions: { ...client.options.redisOptions, connectionName } });
  }
  return client.duplicate({
    connectionName,
    lazyConnect: true,
    // Fail fast while disconnected (the feed retries on its own); a blocked XREAD is never resent
    // by ioredis after a reconnect: the feed reads the marker first and decides where to read from.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // No INFO ready check: its reply is kilobytes, times every verifier reconnecting after a
    // failover. A Redis still loading answers LOADING to the LOCATE, which is retried with backoff.
    // That also skips ioredis's Sentinel role check (it runs inside the ready check): the feed
    // sends ROLE itself on every connect.
    enableReadyCheck: false,
  });
}
