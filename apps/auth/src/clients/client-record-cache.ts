import type { ClientEntity } from './client.entity.js';

/** What client authentication and client-credentials issuance read of a client: the whole row, copied. */
export type CachedClientRecord = Readonly<
  Pick<ClientEntity, 'clientId' | 'secretHash' | 'scopes' | 'audiences' | 'grantTypes' | 'enabled' | 'createdAt'>
>;

interface Entry {
  record: CachedClientRecord;
  /** When the read that produced it started (ms): a record is as old as the question, not the answer. */
  readAtMs: number;
}

export interface ClientRecordCacheOptions {
  /** Oldest record `fresh()` still hands out (AUTH_CLIENT_CACHE_MAX_STALE_S, in ms); 0 disables the cache. */
  maxStaleMs: number;
  /** Injectable clock (ms since epoch). */
  now?: () => number;
}

/**
 * The client records auth last read from its database, so client credentials keep working while
 * the database is briefly away (service-to-service calls survive a blip). Read-through: every
 * successful read refreshes the record; the cache is only consulted when the read fails for an
 * outage, and then only up to `maxStaleMs` old. A change to a client (disabled, new secret or
 * scopes) drops its record here and, announced on the revocation channel, on every auth instance.
 *
 * A read that started before the latest invalidation of its client is not remembered: it may
 * return the row as it was before the change that the invalidation announced.
 *
 * @example
 * const cache = new ClientRecordCache({ maxStaleMs: 300_000 });
 * const startedAt = cache.now();
 * cache.remember(await repo.findOneByOrFail({ clientId }), startedAt);
 * cache.fresh(clientId); // the record, until it is 300 s old or invalidated
 */
export class ClientRecordCache {
  readonly now: () => number;
  private readonly maxStaleMs: number;
  private readonly entries = new Map<string, Entry>();
  /** Last invalidation per client, kept as long as a read it supersedes could still be in flight. */
  private readonly invalidatedAtMs = new Map<string, number>();
  /** Last `forgetAll` (a missed announcement is possible: every read that started before is suspect). */
  private allInvalidatedAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: ClientRecordCacheOptions) {
    this.maxStaleMs = options.maxStaleMs;
    this.now = options.now ?? Date.now;
  }

  /** Keeps a copy of `record`, read by a query that started at `readStartedAtMs`. */
  remember(record: CachedClientRecord, readStartedAtMs: number): void {
    if (this.maxStaleMs <= 0) return;
    const invalidated = Math.max(this.allInvalidatedAtMs, this.invalidatedAtMs.get(record.clientId) ?? Number.NEGATIVE_INFINITY);
    // Strictly after: an invalidation in the same millisecond as the read's start may postdate it.
    if (readStartedAtMs <= invalidated) return;
    const known = this.entries.get(record.clientId);
    if (known !== undefined && known.readAtMs > readStartedAtMs) return; // a newer read already answered
    const copy: CachedClientRecord = Object.freeze({
      clientId: record.clientId,
      secretHash: record.secretHash,
      scopes: Object.freeze([...record.scopes]) as string[],
      audiences: Object.freeze([...record.audiences]) as string[],
      grantTypes: Object.freeze([...record.grantTypes]) as string[],
      enabled: record.enabled,
      createdAt: new Date(record.createdAt.getTime()),
    });
    this.entries.set(record.clientId, { record: copy, readAtMs: readStartedAtMs });
  }

  /** The client no longer exists (a read found no row): nothing to hand out for it. */
  forget(clientId: string): void {
    this.entries.delete(clientId);
  }

  /** The client changed (disabled, new secret or scopes): drop it, and ignore reads already in flight. */
  invalidate(clientId: string): void {
    this.entries.delete(clientId);
    const nowMs = this.now();
    this.invalidatedAtMs.set(clientId, nowMs);
    this.sweepInvalidations(nowMs);
  }

  /** Every record is suspect (the channel was disconnected: an announcement may have been missed). */
  invalidateAll(): void {
    this.entries.clear();
    this.invalidatedAtMs.clear();
    this.allInvalidatedAtMs = this.now();
  }

  /** The record and when it was read, if it is at most `maxStaleMs` old; undefined otherwise. */
  fresh(clientId: string): { record: CachedClientRecord; readAtMs: number } | undefined {
    const entry = this.entries.get(clientId);
    if (entry === undefined) return undefined;
    if (this.now() - entry.readAtMs > this.maxStaleMs) {
      this.entries.delete(clientId);
      return undefined;
    }
    return entry;
  }

  /** Whether a record of `clientId` is held (fresh or not). */
  has(clientId: string): boolean {
    return this.entries.has(clientId);
  }

  /** Records held (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * An invalidation only matters to reads still in flight; a read can't outlive the database's
   * query timeout by much, so anything older than the staleness bound (or a minute) can go.
   */
  private sweepInvalidations(nowMs: number): void {
    const keepMs = Math.max(this.maxStaleMs, 60_000);
    for (const [clientId, at] of this.invalidatedAtMs) if (nowMs - at > keepMs) this.invalidatedAtMs.delete(clientId);
  }
}
