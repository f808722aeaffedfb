import { randomBytes } from 'node:crypto';
import { SeedInterruptedError } from '../errors.js';
import { type DeliveryCheck, type RevocationEvent, type RevocationStore, applyRevocationEvent } from '../revocation-store.js';
import { type RevocationStoreOptions, checkStoreOptions, msOf, subjectEntryTtlMs, tokenEntryTtlMs } from './entry-ttl.js';
import { RevocationKeyspace, SEED_CLAIM_TTL_MS } from './keyspace.js';

export type RevocationListener = (event: RevocationEvent) => void;

interface Entry {
  value: number;
  expiresAtMs: number;
}

/**
 * What Redis is to the Redis store, in one process: keys with a value and an absolute expiry, and
 * a listener list (the stand-in for the event stream). Expired keys are invisible at once and swept lazily. `npm start` (`REDIS_URL=memory://`)
 * runs every service in one process, and they all share the one backend `sharedMemoryRevocationBackend()`
 * returns, so a revocation auth writes reaches the orders and profiles verifiers.
 */
export class MemoryRevocationBackend {
  private readonly entries = new Map<string, Entry>();
  /**
   * Seed claims (`seeding:<token>` in Redis), apart from `entries` because those hold numbers only.
   * A key holds either an entry or a claim, as one Redis key holds one value: writing one drops the other.
   */
  private readonly claims = new Map<string, { token: string; expiresAtMs: number }>();
  private readonly listeners = new Set<RevocationListener>();
  private lastSweepAt = 0;

  /** SET key value PX ttl. */
  set(key: string, value: number, ttlMs: number, nowMs: number): void {
    this.claims.delete(key);
    this.entries.set(key, { value, expiresAtMs: nowMs + ttlMs });
    this.maybeSweep(nowMs);
  }

  /** Sets only when `value` is greater than the live value (the subject script). */
  setIfGreater(key: string, value: number, ttlMs: number, nowMs: number): void {
    const current = this.get(key, nowMs);
    if (current === undefined || current < value) this.set(key, value, ttlMs, nowMs);
  }

  /** SET key seeding:<token> PX ttl: `get` then answers undefined, as `parseGeneration` does for a claim. */
  claim(key: string, token: string, ttlMs: number, nowMs: number): void {
    this.entries.delete(key);
    this.claims.set(key, { token, expiresAtMs: nowMs + ttlMs });
  }

  /** The marker's compare-and-set: sets `value` without TTL only while `key` holds `token`'s live claim. */
  setIfClaimed(key: string, token: string, value: number, nowMs: number): boolean {
    const claim = this.claims.get(key);
    if (claim === undefined || claim.token !== token || claim.expiresAtMs <= nowMs) return false;
    this.set(key, value, Number.POSITIVE_INFINITY, nowMs);
    return true;
  }

  /** FLUSHALL: every key and claim gone (what a Redis restarted empty looks like). */
  flush(): void {
    this.entries.clear();
    this.claims.clear();
  }

  get(key: string, nowMs: number): number | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Like Redis PTTL: ms left, or -2 when the key does not exist. */
  pttl(key: string, nowMs: number): number {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAtMs <= nowMs) return -2;
    return entry.expiresAtMs - nowMs;
  }

  /** Every live key and value (the live entries a full read would yield). */
  *scan(nowMs: number): IterableIterator<[string, number]> {
    for (const [key, entry] of this.entries) if (entry.expiresAtMs > nowMs) yield [key, entry.value];
  }

  publish(event: RevocationEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Live and not yet swept keys. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops expired keys at most once a minute (O(keys), so never on every write). */
  private maybeSweep(nowMs: number): void {
    if (nowMs - this.lastSweepAt < 60_000) return;
    this.lastSweepAt = nowMs;
    for (const [key, entry] of this.entries) if (entry.expiresAtMs <= nowMs) this.entries.delete(key);
  }
}

const SHARED = Symbol.for('authmesh.revocation.memoryBackend');

/**
 * The one in-memory backend of this process. Kept on `globalThis` so that even two copies of this
 * module (a bundler, a second resolution path) share it.
 */
export function sharedMemoryRevocationBackend(): MemoryRevocationBackend {
  const holder = globalThis as { [SHARED]?: MemoryRevocationBackend };
  return (holder[SHARED] ??= new MemoryRevocationBackend());
}

/**
 * The blocklist in memory, for single-process mode, with the Redis store's semantics: the same
 * keys, the same TTLs, the latest subject timestamp kept, every write published to the backend's
 * subscribers before the write resolves. Held to the same contract test suite.
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly keyspace: RevocationKeyspace;
  private readonly now: () => number;

  constructor(
    readonly backend: MemoryRevocationBackend,
    private readonly options: RevocationStoreOptions,
  ) {
    checkStoreOptions(options);
    this.keyspace = new RevocationKeyspace(options.keyPrefix);
    this.now = options.now ?? Date.now;
  }

  async revokeToken(jti: string, expiresAt: Date): Promise<undefined> {
    const expiresAtMs = msOf(expiresAt, 'expiresAt');
    const nowMs = this.now();
    const ttlMs = tokenEntryTtlMs(expiresAtMs, nowMs, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return undefined;
    this.backend.set(this.keyspace.jtiKey(jti), expiresAtMs, ttlMs, nowMs);
    this.backend.publish({ kind: 'jti', jti, expiresAtMs });
  }

  async revokeSubject(sub: string, at: Date): Promise<undefined> {
    const revokedAtMs = msOf(at, 'at');
    const nowMs = this.now();
    const ttlMs = subjectEntryTtlMs(revokedAtMs, nowMs, this.options.maxTokenLifetimeSeconds, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return undefined;
    this.backend.setIfGreater(this.keyspace.subKey(sub), revokedAtMs, ttlMs, nowMs);
    this.backend.publish({ kind: 'sub', sub, revokedAtMs });
  }

  async revokeSigningKey(kid: string, at: Date): Promise<undefined> {
    const revokedAtMs = msOf(at, 'at');
    const nowMs = this.now();
    const ttlMs = subjectEntryTtlMs(revokedAtMs, nowMs, this.options.maxTokenLifetimeSeconds, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return undefined;
    this.backend.setIfGreater(this.keyspace.kidKey(kid), revokedAtMs, ttlMs, nowMs);
    this.backend.publish({ kind: 'kid', kid, revokedAtMs });
  }

  async announceKeysetChange(issuer: string, at: Date): Promise<undefined> {
    this.backend.publish({ kind: 'keyset', issuer, changedAtMs: msOf(at, 'at') });
  }

  async announceClientChange(clientId: string, at: Date): Promise<undefined> {
    this.backend.publish({ kind: 'client', clientId, changedAtMs: msOf(at, 'at') });
  }

  apply(event: RevocationEvent): Promise<string | undefined> {
    return applyRevocationEvent(this, event);
  }

  async seededGeneration(): Promise<number | undefined> {
    return this.backend.get(this.keyspace.generationKey, this.now());
  }

  async beginSeed(): Promise<string> {
    const token = randomBytes(16).toString('hex');
    this.backend.claim(this.keyspace.generationKey, token, SEED_CLAIM_TTL_MS, this.now());
    return token;
  }

  async seedEntries(events: readonly RevocationEvent[]): Promise<void> {
    const nowMs = this.now();
    const { clockToleranceSeconds: tol, maxTokenLifetimeSeconds: max } = this.options;
    // The ordinary writes' rules, unannounced: the seed's one `resync` stands for them all.
    for (const event of events) {
      if (event.kind === 'jti') {
        const ttlMs = tokenEntryTtlMs(event.expiresAtMs, nowMs, tol);
        if (ttlMs > 0) this.backend.set(this.keyspace.jtiKey(event.jti), event.expiresAtMs, ttlMs, nowMs);
      } else if (event.kind === 'sub' || event.kind === 'kid') {
        const ttlMs = subjectEntryTtlMs(event.revokedAtMs, nowMs, max, tol);
        const key = event.kind === 'sub' ? this.keyspace.subKey(event.sub) : this.keyspace.kidKey(event.kid);
        if (ttlMs > 0) this.backend.setIfGreater(key, event.revokedAtMs, ttlMs, nowMs);
      }
    }
  }

  async markSeeded(generation: number, token: string): Promise<void> {
    // No TTL, like the Redis key: only losing the backend (a restart of the process) loses it.
    if (!this.backend.setIfClaimed(this.keyspace.generationKey, token, generation, this.now())) {
      throw new SeedInterruptedError(
        `${this.keyspace.generationKey} no longer holds this seed's claim (the data was lost, or another seed took over)`,
      );
    }
    this.backend.publish({ kind: 'resync', generation, atMs: this.now() });
  }

  /** One process, no replica, no persistence to regress to: nothing it acknowledged can go missing. */
  async verifyDelivered(_ids: readonly string[]): Promise<DeliveryCheck> {
    return { missing: [], lastId: undefined };
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return this.backend.get(this.keyspace.jtiKey(jti), this.now()) !== undefined;
  }

  async subjectRevokedAt(sub: string): Promise<Date | undefined> {
    const ms = this.backend.get(this.keyspace.subKey(sub), this.now());
    return ms === undefined ? undefined : new Date(ms);
  }
}
