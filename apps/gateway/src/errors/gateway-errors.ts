import { AppError, DependencyUnavailableError, TooManyRequestsError } from '@authmesh/platform';

/** The upstream service did not answer within GATEWAY_UPSTREAM_TIMEOUT_MS: 504. */
export class UpstreamTimeoutError extends AppError {
  static readonly code = 'upstream_timeout';
  readonly code = UpstreamTimeoutError.code;
  readonly status = 504;
  constructor(upstream: string, detail?: string) {
    super(`The ${upstream} service did not answer in time`, { detail });
  }
}

/** The upstream service refused or dropped the connection: 502. */
export class UpstreamUnavailableError extends AppError {
  static readonly code = 'upstream_unavailable';
  readonly code = UpstreamUnavailableError.code;
  readonly status = 502;
  constructor(upstream: string, detail?: string) {
    super(`The ${upstream} service is unavailable`, { detail });
  }
}

/** Auth could not be reached for a login, refresh, revocation or exchange: 503 with Retry-After. */
export class AuthUnavailableError extends DependencyUnavailableError {
  static override readonly code = 'auth_unavailable';
  override readonly code = AuthUnavailableError.code;
  constructor(detail: string) {
    super('The authentication service is unavailable; try again shortly', { retryAfterSeconds: 2, detail });
  }
}

/** The session store (Redis) could not be read or written: 503 with Retry-After (sessions fail closed). */
export class SessionStoreUnavailableError extends DependencyUnavailableError {
  static override readonly code = 'session_store_unavailable';
  override readonly code = SessionStoreUnavailableError.code;
  constructor(operation: string, cause: unknown) {
    super('Sessions are temporarily unavailable; try again shortly', {
      retryAfterSeconds: 2,
      detail: `${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause,
    });
  }
}

/**
 * The session cookie names no live session: unknown, idle too long, past its absolute lifetime,
 * or its refresh token was refused by auth. 401; the cookie is cleared with the answer.
 */
export class SessionExpiredError extends AppError {
  static readonly code = 'session_expired';
  readonly code = SessionExpiredError.code;
  readonly status = 401;
  constructor(detail?: string) {
    super('The session has expired; log in again', { detail });
  }
}

/**
 * A cookie-authenticated unsafe request without the session's CSRF token or from a foreign
 * origin: 403, nothing forwarded.
 */
export class CsrfFailedError extends AppError {
  static readonly code = 'csrf_failed';
  readonly code = CsrfFailedError.code;
  readonly status = 403;
  /** `expected`: for an origin failure, what the message tells the caller to send instead. */
  constructor(detail: string, expected?: string) {
    super(expected === undefined ? 'Cross-site request check failed' : `Cross-site request check failed: expected ${expected}`, { detail });
  }
}

/** Too many requests from one client address on a login or token endpoint: 429 with Retry-After. */
export class RateLimitedError extends TooManyRequestsError {
  static override readonly code = 'rate_limited';
  override readonly code = RateLimitedError.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many requests from this address; try again later');
  }
}

/**
 * Auth refused the user's token as an exchange subject (`invalid_grant`: expired or revoked in the
 * instant since the edge checked it): 401 like any dead token, so the client logs in again.
 */
export class ExchangeSubjectRefusedError extends AppError {
  static readonly code = 'token_exchange_refused';
  readonly code = ExchangeSubjectRefusedError.code;
  readonly status = 401;
  override readonly headers = { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token was refused"' };
  constructor(detail: string) {
    super('The access token was refused', { detail });
  }
}

/** Auth refused or failed the token exchange for another reason (a configuration problem): 502. */
export class TokenExchangeFailedError extends AppError {
  static readonly code = 'token_exchange_failed';
  readonly code = TokenExchangeFailedError.code;
  readonly status = 502;
  constructor(detail: string) {
    super('The gateway could not obtain a token for the upstream service', { detail });
  }
}

/**
 * `/session/login` with a body that is not `application/json`: 415. An HTML form can only send
 * form-encoded, multipart or text/plain bodies without a CORS preflight (Fetch standard, "CORS-
 * safelisted request-header"), so requiring JSON means a cross-site page cannot log a victim in.
 */
export class UnsupportedMediaTypeError extends AppError {
  static readonly code = 'unsupported_media_type';
  readonly code = UnsupportedMediaTypeError.code;
  readonly status = 415;
  // Accept-Post (W3C LDP §7.1, IANA-registered): the media types this POST takes.
  override readonly headers = { 'accept-post': 'application/json' };
  constructor(detail: string) {
    super('The request body must be application/json', { detail });
  }
}

/**
 * A client-credentials (service) token on a public `/api/*` route: 403, nothing forwarded. The
 * public API is for users; a service token (`sub === client_id`) reaches services directly, where
 * their own service-only routes decide what it may do.
 */
export class UserTokenRequiredError extends AppError {
  static readonly code = 'user_token_required';
  readonly code = UserTokenRequiredError.code;
  readonly status = 403;
  constructor(detail: string) {
    super('This API requires a user token', { detail });
  }
}
