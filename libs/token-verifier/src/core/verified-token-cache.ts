import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './claims.js';

/** How often storing a token also sweeps the expired ones out (ms on the verifier's clock). */
export const PURGE_INTERVAL_MS = 60_000;

/**
 * Recently verified tokens, keyed by the token string, so a token used for many requests pays for
 * RSA once. An entry never outlives the token: its TTL ends at `exp` + clock tolerance, measured on
 * the verifier's injectable clock. Only tokens that passed every check are stored, so an attacker
 * cannot fill it with garbage. Revocation is not cached: the verifier asks on every request.
 *
 * lru-cache drops an expired entry only when it is read again or pushed out by a new one, so after
 * a burst of short-lived tokens (a deploy's worth of pods, a load test) up to `maxEntries` dead
 * entries would stay (~3 KiB each). Storing a token sweeps them out at most once a minute: no timer
 * per entry (lru-cache's `ttlAutopurge`), no timer at all, and one O(size) pass a minute on a miss.
 */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, VerifiedToken> | undefined;
  private nextPurgeAtMs: number;

  /** `maxEntries` 0 disables the cache. */
  constructor(
    maxEntries: number,
    private readonly now: () => number,
  ) {
    this.nextPurgeAtMs = now() + PURGE_INTERVAL_MS;
    this.lru =
      maxEntries > 0
        ? new LRUCache<string, VerifiedToken>({
            max: maxEntries,
            // lru-cache measures TTLs with `perf.now()`; ours is the verifier's clock, so a frozen
            // clock in tests freezes expiry too. ttlResolution 0: read the clock on every get (it
            // would otherwise cache it for 1 ms of real time with a timer).
            perf: { now: () => this.now() },
            ttlResolution: 0,
            updateAgeOnGet: false,
            allowStale: false,
          })
        : undefined;
  }

  get(token: string): VerifiedToken | undefined {
    return this.lru?.get(token);
  }

  /** Stores `verified` until `expiresAtMs`. */
  set(token: string, verified: VerifiedToken, expiresAtMs: number): void {
    if (!this.lru) return;
    const nowMs = this.now();
    if (nowMs >= this.nextPurgeAtMs) this.purgeExpired();
    const ttl = Math.floor(expiresAtMs - nowMs);
    if (ttl > 0) this.lru.set(token, verified, { ttl });
  }

  /** Removes every expired entry now (`set` does it at most once a minute). */
  purgeExpired(): void {
    this.nextPurgeAtMs = this.now() + PURGE_INTERVAL_MS;
    this.lru?.purgeStale();
  }

  /** Drops every token signed by one of `kids` (their key left the JWKS). */
  dropSignedBy(kids: readonly string[]): void {
    if (!this.lru) return;
    const doomed: string[] = [];
    for (const [token, verified] of this.lru.entries()) if (kids.includes(verified.kid)) doomed.push(token);
    for (const token of doomed) this.lru.delete(token);
  }

  clear(): void {
    this.lru?.clear();
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
