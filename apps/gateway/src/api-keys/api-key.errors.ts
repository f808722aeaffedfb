import { AppError, TooManyRequestsError } from '@authmesh/platform';

/** The one challenge of every refused key: the scheme a client should use (RFC 9110 §11.6.1). */
const API_KEY_CHALLENGE = { 'www-authenticate': 'ApiKey realm="authmesh"' };

/**
 * The API key is not good — malformed, unknown, revoked, expired, its owner disabled, or used from
 * an address outside its allow-list: 401, ONE code and message for all, so a caller learns nothing
 * about which part was wrong (auth counts the reason: `api_key_checks_total{outcome}`).
 */
export class ApiKeyInvalidError extends AppError {
  static readonly code = 'api_key_invalid';
  readonly code = ApiKeyInvalidError.code;
  readonly status = 401;
  override readonly headers = API_KEY_CHALLENGE;
  constructor(detail: string) {
    super('The API key is not valid', { detail });
  }
}

/** A good key without rights on this service (no audience, or no scope for it): 403. */
export class ApiKeyInsufficientScopeError extends AppError {
  static readonly code = 'api_key_insufficient_scope';
  readonly code = ApiKeyInsufficientScopeError.code;
  readonly status = 403;
  constructor(detail: string) {
    super('The API key does not grant access to this service', { detail });
  }
}

/** The key's own request budget (GATEWAY_API_KEY_RATE_PER_MIN) is spent: 429 with Retry-After. */
export class ApiKeyRateLimitedError extends TooManyRequestsError {
  static override readonly code = 'api_key_rate_limited';
  override readonly code = ApiKeyRateLimitedError.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many requests with this API key; try again later');
  }
}

/** Too many refused keys from this address (GATEWAY_API_KEY_FAILURES_PER_MIN): 429 before any key is checked. */
export class ApiKeyGuessLimitedError extends TooManyRequestsError {
  static override readonly code = 'api_key_guess_limited';
  override readonly code = ApiKeyGuessLimitedError.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many invalid API keys from this address; try again later');
  }
}

/** An API key together with a bearer token or a session cookie: 400, the request must state one identity. */
export class CredentialsAmbiguousError extends AppError {
  static readonly code = 'credentials_ambiguous';
  readonly code = CredentialsAmbiguousError.code;
  readonly status = 400;
  constructor(detail: string) {
    super('Send one credential: an API key, a bearer token or a session cookie, not several', { detail });
  }
}
