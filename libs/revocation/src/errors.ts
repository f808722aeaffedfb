import { DependencyUnavailableError } from '@authmesh/platform';

/**
 * The revocation store (Redis) could not take or answer a command: connection down, timeout, or an
 * error reply. Writers catch it to fall back (auth keeps the revocation in its Postgres outbox and
 * replays it); left uncaught it renders as 503 `revocation_store_unavailable` with Retry-After.
 */
export class RevocationStoreUnavailableError extends DependencyUnavailableError {
  static override readonly code = 'revocation_store_unavailable';
  override readonly code = RevocationStoreUnavailableError.code;

  constructor(operation: string, cause: unknown) {
    super('The revocation store is unavailable', {
      retryAfterSeconds: 5,
      detail: `${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    });
  }
}

/**
 * A verifier's revocation data is older than `REVOCATION_MAX_STALENESS_S` (Redis unreachable) and
 * the outage policy is `reject`: 503 `revocation_unavailable` with Retry-After. The request is
 * refused rather than let a possibly revoked token through (never a silent fail-open).
 */
export class RevocationUnavailableError extends DependencyUnavailableError {
  static override readonly code = 'revocation_unavailable';
  override readonly code = RevocationUnavailableError.code;

  constructor(detail: string, retryAfterSeconds = 5) {
    super('Revocation data is unavailable; try again shortly', { retryAfterSeconds, detail });
  }
}

/**
 * A re-seed lost its claim on the generation marker before it could write it: Redis was flushed,
 * restarted empty or failed over while the seed was writing (so the early batches may be gone), or
 * another auth instance took the seed over after this one's claim lapsed. No marker is written, so
 * no verifier trusts a partial blocklist; auth logs it and seeds again from the start on its next
 * check. Internal: never answered over HTTP.
 */
export class SeedInterruptedError extends Error {
  static readonly code = 'revocation_seed_interrupted';
  readonly code = SeedInterruptedError.code;

  constructor(readonly detail: string) {
    super(`The revocation re-seed was interrupted: ${detail}`);
    this.name = 'SeedInterruptedError';
  }
}

/**
 * The revocation feed's connection reached a Redis that is not a master (ROLE answered `slave`): a
 * Sentinel with a stale view named a demoted master, or the URL points at a replica. Its stream may
 * lag or stop while writes go to the real master, and an empty XREAD there would mark the mirror
 * fresh, so the feed is not synced, logs this and reconnects (asking Sentinel again). Internal:
 * never answered over HTTP; the verifier shows it as staleness.
 */
export class RevocationReaderNotMasterError extends Error {
  static readonly code = 'revocation_reader_not_master';
  readonly code = RevocationReaderNotMasterError.code;

  constructor(readonly role: string) {
    super(`the revocation feed's Redis answered ROLE ${role}, not master: not reading the stream from it; reconnecting`);
    this.name = 'RevocationReaderNotMasterError';
  }
}
