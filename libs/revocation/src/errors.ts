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
