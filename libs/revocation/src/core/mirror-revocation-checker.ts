import {
  type AccessTokenClaims,
  type RevocationChecker,
  type SigningKeyEvent,
  TokenRevokedError,
  quoteForLog,
} from '@authmesh/token-verifier';
import type { RevocationOutagePolicy } from '../config/revocation-config.js';
import { RevocationUnavailableError } from '../errors.js';
import { type RevocationLogger, silentLogger } from './revocation-feed.js';
import type { RevocationMirror } from './revocation-mirror.js';

/** Every outcome of a check (metric label values). */
export const REVOCATION_CHECK_OUTCOMES = ['ok', 'revoked_token', 'revoked_subject', 'stale_rejected', 'stale_accepted'] as const;
export type RevocationCheckOutcome = (typeof REVOCATION_CHECK_OUTCOMES)[number];

export interface MirrorRevocationCheckerOptions {
  /** Accept on data at most this old (REVOCATION_MAX_STALENESS_S). */
  readonly maxStalenessSeconds: number;
  /** Past the bound: 503 (`reject`) or documented fail-open (`accept`) (REVOCATION_OUTAGE_POLICY). */
  readonly outagePolicy: RevocationOutagePolicy;
  /** Counts each outcome (metrics); called once per check. */
  readonly record?: (outcome: RevocationCheckOutcome) => void;
  readonly logger?: RevocationLogger;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** What `/health/ready` and operators see. */
export interface RevocationCheckerStatus {
  readonly policy: RevocationOutagePolicy;
  readonly maxStalenessSeconds: number;
  /** Seconds since the revocation data was last known complete (null: never). */
  readonly stalenessSeconds: number | null;
  /** Within the bound: checks answer from the mirror. */
  readonly fresh: boolean;
  readonly entries: { jti: number; sub: number; kid: number };
}

const FAIL_OPEN_LOG_EVERY_MS = 10_000;

/**
 * The verifier's revocation check: synchronous, against the local mirror, no I/O on the request
 * path. A revoked jti, or a subject revoked at or after the token's `iat`, is a 401
 * `token_revoked`. If the mirror has not been known fresh for longer than the bound, the outage
 * policy decides: `reject` throws `RevocationUnavailableError` (503 `revocation_unavailable`,
 * Retry-After), `accept` lets the token through and says so loudly in the log and the metrics.
 * A token the mirror already knows to be revoked is refused whatever the freshness.
 *
 * @example
 * const mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
 * const feed = new RedisMirrorFeed(redis, mirror);
 * await feed.start();
 * const verifier = new TokenVerifier({ …, revocation: new MirrorRevocationChecker(mirror, { maxStalenessSeconds: 30, outagePolicy: 'reject' }) });
 */
export class MirrorRevocationChecker implements RevocationChecker {
  private readonly maxStalenessMs: number;
  private readonly record: (outcome: RevocationCheckOutcome) => void;
  private readonly logger: RevocationLogger;
  private readonly now: () => number;
  private lastFailOpenLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly mirror: RevocationMirror,
    private readonly options: MirrorRevocationCheckerOptions,
  ) {
    this.maxStalenessMs = options.maxStalenessSeconds * 1000;
    this.record = options.record ?? (() => undefined);
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  check(claims: AccessTokenClaims): void {
    const revoked = this.mirror.revocationOf(claims);
    if (revoked === 'token') {
      this.record('revoked_token');
      throw new TokenRevokedError(`jti ${quoteForLog(claims.jti)} is on the blocklist`);
    }
    if (revoked === 'subject') {
      this.record('revoked_subject');
      throw new TokenRevokedError(`subject ${quoteForLog(claims.sub)} was revoked at or after the token's iat ${claims.iat}`);
    }
    const nowMs = this.now();
    if (nowMs - this.mirror.lastFreshAtMs > this.maxStalenessMs) this.stale(nowMs);
    else this.record('ok');
  }

  /** Signing-key events from the feed (emergency key revocation, rotation announcements). */
  onSigningKeyEvent(listener: (event: SigningKeyEvent) => void): void {
    this.mirror.onSigningKeyEvent(listener);
  }

  status(nowMs = this.now()): RevocationCheckerStatus {
    const staleness = this.mirror.stalenessMs(nowMs);
    return {
      policy: this.options.outagePolicy,
      maxStalenessSeconds: this.options.maxStalenessSeconds,
      stalenessSeconds: Number.isFinite(staleness) ? Math.round(staleness / 100) / 10 : null,
      fresh: staleness <= this.maxStalenessMs,
      entries: this.mirror.size,
    };
  }

  private stale(nowMs: number): void {
    const age = this.mirror.stalenessMs(nowMs);
    const ageText = Number.isFinite(age) ? `${Math.round(age / 1000)}s old` : 'never loaded';
    if (this.options.outagePolicy === 'reject') {
      this.record('stale_rejected');
      throw new RevocationUnavailableError(
        `revocation data is ${ageText}, beyond REVOCATION_MAX_STALENESS_S=${this.options.maxStalenessSeconds}`,
      );
    }
    this.record('stale_accepted');
    if (nowMs - this.lastFailOpenLogAt >= FAIL_OPEN_LOG_EVERY_MS) {
      this.lastFailOpenLogAt = nowMs;
      this.logger.error(
        `FAIL-OPEN: revocation data is ${ageText} (bound ${this.options.maxStalenessSeconds}s) and REVOCATION_OUTAGE_POLICY=accept: ` +
          'accepting valid tokens WITHOUT knowing whether they were revoked until Redis is back',
      );
    }
  }
}
