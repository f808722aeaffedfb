import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { DpopProofReplayedError } from './dpop/errors.js';

/**
 * A store every replica shares (Redis): `claim` records `key` for `ttlMs` and resolves true when
 * this call recorded it, false when it was there already (Redis `SET key 1 NX PX ttl`). It rejects
 * when the store cannot answer.
 */
export interface SharedReplayStore {
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/**
 * What a verifier does with a DPoP proof while the shared store is unreachable:
 * - `reject` (default): refuse the request (503 with Retry-After, the store's own error): no
 *   replay is ever accepted, on any replica;
 * - `local`: accept on the local cache's word: a proof replayed to the same replica is still
 *   refused, one replayed to another replica within the proof's window is accepted.
 */
export type DpopReplayOutagePolicy = 'reject' | 'local';

export interface DpopReplayGuardOptions {
  /** The shared check; absent in a single process (`REDIS_URL=memory://`), where the local cache is the whole truth. */
  readonly shared?: SharedReplayStore;
  /** Most proofs the local cache remembers (default 100 000); the oldest go first when it is full. */
  readonly maxEntries?: number;
  readonly outagePolicy?: DpopReplayOutagePolicy;
  /** Told once per failed shared check under the `local` policy (log and metrics). */
  readonly onSharedFailure?: (error: unknown) => void;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * RFC 9449 §11.1 (DPoP proof replay): a proof's `jti` is accepted once within the time its `iat`
 * keeps it acceptable, checked in two layers (docs/decisions/010-dpop-gateway-and-replay.md):
 *
 * 1. a bounded local cache (lru-cache with a TTL per entry): no I/O, catches a replay to the same
 *    process at once, and stays the guard when the shared store is down under the `local` policy;
 * 2. the shared store (Redis `SET NX PX`): catches a replay to any replica of any service sharing
 *    the Redis.
 *
 * Entries are keyed by a hash of the proof key's thumbprint and the `jti`: a client cannot burn
 * another client's `jti` with a proof of its own key, and a key is bounded whatever the `jti` holds.
 */
export class DpopReplayGuard {
  private readonly local: LRUCache<string, true>;
  private readonly shared: SharedReplayStore | undefined;
  private readonly policy: DpopReplayOutagePolicy;
  private readonly onSharedFailure: ((error: unknown) => void) | undefined;
  private readonly now: () => number;

  constructor(options: DpopReplayGuardOptions = {}) {
    this.now = options.now ?? Date.now;
    // ttlAutopurge off: expiry is checked on read (`get` of a stale entry misses) and the size bound
    // does the rest, so no timer per entry. perf.now is the cache's own clock; ours is injectable.
    this.local = new LRUCache<string, true>({ max: options.maxEntries ?? 100_000, ttlAutopurge: false, perf: { now: () => this.now() } });
    this.shared = options.shared;
    this.policy = options.outagePolicy ?? 'reject';
    this.onSharedFailure = options.onSharedFailure;
  }

  /**
   * Accepts the proof `(jkt, jti)` once: throws DpopProofReplayedError when it was seen, within
   * `ttlMs` (the rest of the proof's acceptance window). Under `reject`, a shared-store failure
   * propagates unchanged (the store's 503).
   */
  async check(jkt: string, jti: string, ttlMs: number): Promise<void> {
    const key = createHash('sha256').update(jkt).update('\n').update(jti).digest('base64url');
    if (this.local.has(key)) throw new DpopProofReplayedError(`jti ${JSON.stringify(jti.slice(0, 64))} seen by this process`);
    const ttl = Math.max(1000, Math.ceil(ttlMs));
    // Claimed locally before the round trip: two copies of a proof racing to this process are one use.
    this.local.set(key, true, { ttl });
    if (this.shared === undefined) return;
    let first: boolean;
    try {
      first = await this.shared.claim(key, ttl);
    } catch (e) {
      if (this.policy === 'reject') throw e;
      this.onSharedFailure?.(e);
      return;
    }
    if (!first) throw new DpopProofReplayedError(`jti ${JSON.stringify(jti.slice(0, 64))} seen by another process`);
  }

  /** Proofs the local cache holds (tests, metrics). */
  get size(): number {
    return this.local.size;
  }
}
