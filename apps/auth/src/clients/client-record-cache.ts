import type { ClientEntity } from './client.entity.js';

/** What client authentication and client-credentials issuance read of a client: the whole row, copied. */
export type CachedClientRecord = Readonly<
  Pick<
    ClientEntity,
    | 'clientId'
    | 'secretHash'
    | 'tokenEndpointAuthMethod'
    | 'jwks'
    | 'scopes'
    | 'audiences'
    | 'grantTypes'
    | 'redirectUris'
    | 'postLogoutRedirectUris'
    | 'firstParty'
    | 'dpopBoundAccessTokens'
    | 'enabled'
    | 'createdAt'
  >
>;

/** A read of the database about to start: when (for staleness) and in which order (for invalidations). */
export interface ClientRead {
  readonly atMs: number;
  readonly seq: number;
}

interface Entry {
  record: CachedClientRecord;
  /** When the read that produced it started (ms): a record is as old as the question, not the answer. */
  readAtMs: number;
  seq: number;
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
 * scopes) drops its record here and, announced on the revocation stream, on every auth instance.
 *
 * A read that started before the latest invalidation of its client is not remembered: it may
 * return the row as it was before the change that the invalidation announced. Reads and
 * invalidations are ordered by a counter, not the clock: both often fall in the same millisecond.
 *
 * @example
 * const cache = new ClientRecordCache({ maxStaleMs: 300_000 });
 * const read = cache.beginRead();
 * cache.remember(await repo.findOneByOrFail({ clientId }), read);
 * cache.fresh(clientId); // the record, until it is 300 s old or invalidated
 */
export class ClientRecordCache {
  readonly now: () => number;
  private readonly maxStaleMs: number;
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  /** Last invalidation per client (counter, ms), kept as long as a read it supersedes could still be in flight. */
  private readonly invalidated = new Map<string, { seq: number; atMs: number }>();
  /** Last `invalidateAll` (a missed announcement is possible: every read that started before is suspect). */
  private allInvalidatedSeq = 0;

  constructor(options: ClientRecordCacheOptions) {
    this.maxStaleMs = options.maxStaleMs;
    this.now = options.now ?? Date.now;
  }

  /** Call right before reading a client from the database; hand the result to `remember`. */
  beginRead(): ClientRead {
    return { atMs: this.now(), seq: ++this.seq };
  }

  /** Keeps a copy of `record`, as `read` (begun before the query) saw it. */
  remember(record: CachedClientRecord, read: ClientRead): void {
    if (this.maxStaleMs <= 0) return;
    const invalidatedSeq = Math.max(this.allInvalidatedSeq, this.invalidated.get(record.clientId)?.seq ?? 0);
    if (read.seq < invalidatedSeq) return;
    const known = this.entries.get(record.clientId);
    if (known !== undefined && known.seq > read.seq) return; // a newer read already answered
    const copy: CachedClientRecord = Object.freeze({
      clientId: record.clientId,
      secretHash: record.secretHash,
      tokenEndpointAuthMethod: record.tokenEndpointAuthMethod,
      // A deep copy: the cache must not share mutable key objects with the row it was read from.
      jwks: record.jwks === null ? null : (structuredClone(record.jwks) as ClientEntity['jwks']),
      scopes: Object.freeze([...record.scopes]) as string[],
      audiences: Object.freeze([...record.audiences]) as string[],
      grantTypes: Object.freeze([...record.grantTypes]) as string[],
      redirectUris: Object.freeze([...record.redirectUris]) as string[],
      postLogoutRedirectUris: Object.freeze([...record.postLogoutRedirectUris]) as string[],
      firstParty: record.firstParty,
      dpopBoundAccessTokens: record.dpopBoundAccessTokens,
      enabled: record.enabled,
      createdAt: new Date(record.createdAt.getTime()),
    });
    this.entries.set(record.clientId, { record: copy, readAtMs: read.atMs, seq: read.seq });
  }

  /** The client no longer exists (a read found no row): nothing to hand out for it. */
  forget(clientId: string): void {
    this.entries.delete(clientId);
  }

  /**
   * The client changed (disabled, new secret or scopes): drop it, and ignore reads already in
   * flight. A record that already says disabled stays: disabling is final (nothing re-enables a
   * client, not even AUTH_SEED_CLIENTS), so it can only be right, and it lets a client disabled
   * just before an outage be refused as `invalid_client` rather than answered 503.
   */
  invalidate(clientId: string): void {
    if (this.entries.get(clientId)?.record.enabled !== false) this.entries.delete(clientId);
    const nowMs = this.now();
    this.invalidated.set(clientId, { seq: ++this.seq, atMs: nowMs });
    this.sweepInvalidations(nowMs);
  }

  /** Every record is suspect (the feed reads the whole stream: an announcement may have been lost). */
  invalidateAll(): void {
    this.entries.clear();
    this.invalidated.clear();
    this.allInvalidatedSeq = ++this.seq;
  }

  /** The record and when it was read, if it is at most `maxStaleMs` old; undefined otherwise. */
  fresh(clientId: string): { readonly record: CachedClientRecord; readonly readAtMs: number } | undefined {
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
    for (const [clientId, { atMs }] of this.invalidated) if (nowMs - atMs > keepMs) this.invalidated.delete(clientId);
  }
}
