import type { RevocationEvent } from '../revocation-store.js';

/** What every RevocationStore needs to know to give entries the right lifetime. */
export interface RevocationStoreOptions {
  /** Clock skew verifiers allow on `exp`/`iat` (seconds): an entry outlives the token by this much. */
  readonly clockToleranceSeconds: number;
  /** The longest access-token lifetime auth issues (seconds): how long a subject revocation must last. */
  readonly maxTokenLifetimeSeconds: number;
  /** Namespace for the keys, inside their hash tag (default none); writers and verifiers must agree. */
  readonly keyPrefix?: string;
  /** Redis store only: a command that takes longer fails as unavailable (default 2000 ms). */
  readonly commandTimeoutMs?: number;
  /**
   * Redis store only: how much longer than the longest token lifetime + tolerance the event stream
   * keeps an event, for clock skew between auth and Redis (default `STREAM_SKEW_MARGIN_MS`, 60 s).
   */
  readonly streamMarginMs?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Checks the options once, so a misconfiguration fails at start-up rather than on the first revocation. */
export function checkStoreOptions(options: RevocationStoreOptions): void {
  const { clockToleranceSeconds: tol, maxTokenLifetimeSeconds: max } = options;
  if (!Number.isFinite(tol) || tol < 0) throw new RangeError(`clockToleranceSeconds must be >= 0 (got ${tol})`);
  if (!Number.isFinite(max) || max <= 0) throw new RangeError(`maxTokenLifetimeSeconds must be > 0 (got ${max})`);
}

/**
 * How long `revoked:jti:<jti>` must live: until verifiers stop accepting the token anyway, i.e. its
 * `exp` plus their clock tolerance. Zero or less means the token is already unusable everywhere
 * and nothing is written. (A token past `exp` but inside the tolerance is still accepted by
 * verifiers, so it is still written.)
 */
export function tokenEntryTtlMs(expiresAtMs: number, nowMs: number, clockToleranceSeconds: number): number {
  return Math.ceil(expiresAtMs + clockToleranceSeconds * 1000 - nowMs);
}

/**
 * How long `revoked:sub:<sub>` must live: the newest token it revokes was issued at `revokedAtMs`
 * at the latest, so it expires by `revokedAtMs + maxTokenLifetime` and verifiers stop accepting it
 * `clockTolerance` later. Measured from `revokedAtMs`, not from the write, so a revocation
 * replayed late (auth's outbox) does not live longer than it must.
 */
export function subjectEntryTtlMs(
  revokedAtMs: number,
  nowMs: number,
  maxTokenLifetimeSeconds: number,
  clockToleranceSeconds: number,
): number {
  return Math.ceil(revokedAtMs + (maxTokenLifetimeSeconds + clockToleranceSeconds) * 1000 - nowMs);
}

/** A Date given to the store as an integer number of ms; throws on an invalid Date (a caller bug). */
export function msOf(date: Date, what: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TypeError(`${what} is not a valid date`);
  return Math.floor(ms);
}

/**
 * Until when (ms since the epoch) an event's blocklist entry matters: the instant its TTL, written
 * now, would reach zero — `exp + tolerance` for a jti, `revokedAt + longest lifetime + tolerance`
 * for a subject or a signing key — by the same rules as the TTLs above, so auth's ledger keeps a
 * row exactly as long as the entry it re-seeds could live. Undefined for an announcement
 * (`keyset`, `resync`): nothing is stored, so it has no life after delivery.
 */
export function entryExpiresAtMs(
  event: RevocationEvent,
  options: Pick<RevocationStoreOptions, 'clockToleranceSeconds' | 'maxTokenLifetimeSeconds'>,
): number | undefined {
  switch (event.kind) {
    case 'jti':
      return tokenEntryTtlMs(event.expiresAtMs, 0, options.clockToleranceSeconds);
    case 'sub':
    case 'kid':
      return subjectEntryTtlMs(event.revokedAtMs, 0, options.maxTokenLifetimeSeconds, options.clockToleranceSeconds);
    case 'keyset':
    case 'resync':
      return undefined;
  }
}
