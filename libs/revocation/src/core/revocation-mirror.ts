import type { SigningKeyEvent } from '@authmesh/token-verifier';
import type { RevocationEvent } from '../revocation-store.js';

import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS } from '@authmesh/contracts';

export { MAX_ACCESS_TOKEN_LIFETIME_SECONDS };

export interface RevocationMirrorOptions {
  /** The verifier's clock tolerance (s): a revoked jti is remembered until its `exp` plus this. */
  readonly clockToleranceSeconds: number;
  /** How long a subject revocation is remembered past its timestamp (default 3600 s, auth's hard maximum). */
  readonly maxTokenLifetimeSeconds?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Why a token is revoked, if it is. */
export type Revocation = 'token' | 'subject';

/** The claims the check reads (a subset of `AccessTokenClaims`). */
export interface RevocableClaims {
  readonly jti: string;
  readonly sub: string;
  /** Seconds since the epoch. */
  readonly iat: number;
}

/**
 * A verifier's local copy of the blocklist: what it checks on every request, synchronously, with
 * two Map lookups and no I/O. Fed by a `RevocationFeed` (the Redis event stream, read on from its last id after
 * every (re)connect, or the in-process backend), and knowing how fresh it is: `lastFreshAtMs` is
 * the latest moment at which the mirror is known to have held every revocation written so far.
 *
 * Entries are only ever added or extended, never removed before they expire: a read is merged,
 * not swapped in, so a Redis that restarted empty cannot make a verifier forget a revocation it
 * already knew.
 */
export class RevocationMirror {
  /** jti → the token's exp (ms). */
  private readonly tokens = new Map<string, number>();
  /** sub → latest revocation timestamp (ms). */
  private readonly subjects = new Map<string, number>();
  /** Revoked signing key → revocation timestamp (ms). */
  private readonly kids = new Map<string, number>();
  private readonly keyListeners: ((event: SigningKeyEvent) => void)[] = [];
  private readonly toleranceMs: number;
  private readonly subjectKeepMs: number;
  private readonly now: () => number;
  private freshAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: RevocationMirrorOptions) {
    this.toleranceMs = options.clockToleranceSeconds * 1000;
    this.subjectKeepMs = (options.maxTokenLifetimeSeconds ?? MAX_ACCESS_TOKEN_LIFETIME_SECONDS) * 1000 + this.toleranceMs;
    this.now = options.now ?? Date.now;
  }

  /**
   * The hot path: is this (already verified) token revoked by its jti, or by its subject since
   * `iat`? A subject revoked at T revokes tokens with `iat` at or before T. `iat` has whole-second
   * precision, so a token issued in the same second as the revocation counts as issued before it:
   * a revocation may reject a token issued up to a second after it, never accept one issued before.
   */
  revocationOf(claims: RevocableClaims): Revocation | undefined {
    if (this.tokens.has(claims.jti)) return 'token';
    const revokedAtMs = this.subjects.get(claims.sub);
    if (revokedAtMs !== undefined && claims.iat * 1000 <= revokedAtMs) return 'subject';
    return undefined;
  }

  /** Adds one revocation (idempotent; keeps the latest subject timestamp). Returns whether anything changed. */
  apply(event: RevocationEvent): boolean {
    const nowMs = this.now();
    if (event.kind === 'jti') {
      if (event.expiresAtMs + this.toleranceMs <= nowMs) return false;
      const known = this.tokens.get(event.jti);
      if (known !== undefined && known >= event.expiresAtMs) return false;
      this.tokens.set(event.jti, event.expiresAtMs);
      return true;
    }
    // A re-seed announcement carries no entry: the feed answers it with a full (merging) read of the stream.
    if (event.kind === 'resync') return false;
    // A client change is auth's own business (its client cache): nothing a verifier holds.
    if (event.kind === 'client') return false;
    if (event.kind === 'keyset') {
      this.emit({ type: 'changed', issuer: event.issuer });
      return false;
    }
    if (event.kind === 'kid') {
      if (event.revokedAtMs + this.subjectKeepMs <= nowMs || this.kids.has(event.kid)) return false;
      this.kids.set(event.kid, event.revokedAtMs);
      this.emit({ type: 'revoked', kid: event.kid });
      return true;
    }
    if (event.revokedAtMs + this.subjectKeepMs <= nowMs) return false;
    const known = this.subjects.get(event.sub);
    if (known !== undefined && known >= event.revokedAtMs) return false;
    this.subjects.set(event.sub, event.revokedAtMs);
    return true;
  }

  /**
   * Forgets entries no token can need any more (their tokens are past exp + tolerance). O(entries):
   * the owner runs it on a timer (about once a minute), never per write.
   */
  sweep(nowMs = this.now()): number {
    let removed = 0;
    for (const [jti, expMs] of this.tokens) {
      if (expMs + this.toleranceMs <= nowMs) {
        this.tokens.delete(jti);
        removed++;
      }
    }
    for (const [sub, atMs] of this.subjects) {
      if (atMs + this.subjectKeepMs <= nowMs) {
        this.subjects.delete(sub);
        removed++;
      }
    }
    for (const [kid, atMs] of this.kids) {
      if (atMs + this.subjectKeepMs <= nowMs) {
        this.kids.delete(kid);
        removed++;
      }
    }
    return removed;
  }

  /** When `sub` was last revoked (ms), if the mirror knows of a revocation that can still matter. */
  subjectRevokedAtMs(sub: string): number | undefined {
    return this.subjects.get(sub);
  }

  /**
   * Called for every newly revoked signing key (from the stream, as it comes or in a full read) and every key-set
   * announcement, so the verifier's JWKS cache can drop the key or refetch now rather than at its
   * next scheduled refresh.
   */
  onSigningKeyEvent(listener: (event: SigningKeyEvent) => void): void {
    this.keyListeners.push(listener);
    for (const kid of this.kids.keys()) listener({ type: 'revoked', kid });
  }

  private emit(event: SigningKeyEvent): void {
    for (const listener of this.keyListeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not stop the feed or the other listeners.
      }
    }
  }

  /** Records that every revocation written up to `atMs` is in the mirror. */
  markFresh(atMs: number): void {
    if (atMs > this.freshAtMs) this.freshAtMs = atMs;
  }

  /** The mirror is fed synchronously by its only writer (single-process memory mode): always fresh. */
  markLive(): void {
    this.freshAtMs = Number.POSITIVE_INFINITY;
  }

  /** Latest moment the mirror was known complete (ms); -Infinity before the first sync, +Infinity when live. */
  get lastFreshAtMs(): number {
    return this.freshAtMs;
  }

  /** How old the revocation data may be (ms): 0 when fresh, Infinity before the first sync. */
  stalenessMs(nowMs = this.now()): number {
    return Math.max(0, nowMs - this.freshAtMs);
  }

  get size(): { jti: number; sub: number; kid: number } {
    return { jti: this.tokens.size, sub: this.subjects.size, kid: this.kids.size };
  }
}
