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
 * A path under a proxied prefix that is not on the gateway's allow-list (`proxy/routes.ts`): 404,
 * nothing forwarded. The routes that take a password (`/auth/login`, `/auth/register`,
 * `/auth/password`, `/auth/admin-token`) are not proxied: no password ever crosses the gateway.
 */
export class RouteNotProxiedError extends AppError {
  static readonly code = 'not_found';
  readonly code = RouteNotProxiedError.code;
  readonly status = 404;
  constructor(detail: string) {
    super('No such route', { detail });
  }
}

/**
 * A body sent to a gateway route that takes none (`POST /session/logout`): 400. In particular a
 * client still built for the removed password login gets a refusal, never a 2xx.
 */
export class BodyNotAcceptedError extends AppError {
  static readonly code = 'body_not_accepted';
  readonly code = BodyNotAcceptedError.code;
  readonly status = 400;
  constructor(detail: string) {
    super('This route takes no request body; sign in with GET /session/login (the gateway never takes a password)', { detail });
  }
}

/**
 * A browser login (`GET /session/callback`) that can't finish. Rendered as a small HTML page with
 * the stable code and a link back to `/` (SessionController); never a session.
 */
export abstract class LoginFlowError extends AppError {
  readonly status: number = 400;
}

/**
 * The callback came without this browser's pending login: none started here, it expired
 * (GATEWAY_LOGIN_TTL_S), or it was already used (a replayed callback). Login CSRF: a callback
 * planted in a victim's browser finds no pending login of theirs.
 */
export class LoginStateMissingError extends LoginFlowError {
  static readonly code = 'login_state_missing';
  readonly code = LoginStateMissingError.code;
  constructor(detail: string) {
    super('This sign-in is unknown, expired or already used; start again', { detail });
  }
}

/** The callback's `state` is not the one this browser's login sent (RFC 6749 §10.12, CSRF). */
export class LoginStateMismatchError extends LoginFlowError {
  static readonly code = 'login_state_mismatch';
  readonly code = LoginStateMismatchError.code;
  constructor(detail: string) {
    super('This sign-in does not belong to this browser; start again', { detail });
  }
}

/** The callback's `iss` is not auth's issuer (RFC 9207 §2.4: a mix-up attack brings another server's response). */
export class LoginIssuerMismatchError extends LoginFlowError {
  static readonly code = 'login_issuer_mismatch';
  readonly code = LoginIssuerMismatchError.code;
  constructor(detail: string) {
    super('This sign-in response comes from an unexpected issuer', { detail });
  }
}

/** Auth answered the authorization request with an error (`access_denied`: the user declined; others: `details.error`). */
export class LoginDeniedError extends LoginFlowError {
  static readonly code = 'login_denied';
  readonly code = LoginDeniedError.code;
  constructor(error: string, detail: string) {
    super(error === 'access_denied' ? 'Sign-in was cancelled or denied' : 'Auth could not sign you in', { detail, details: { error } });
  }
}

/** Auth's token endpoint refused the code (`invalid_grant`: expired, used, or not this login's). */
export class LoginCodeRefusedError extends LoginFlowError {
  static readonly code = 'login_code_refused';
  readonly code = LoginCodeRefusedError.code;
  constructor(detail: string) {
    super('The sign-in could not be completed; start again', { detail });
  }
}

/** The token response failed a check (no ID token, wrong nonce, audience or issuer): possibly an injected code. */
export class LoginResponseInvalidError extends LoginFlowError {
  static readonly code = 'login_response_invalid';
  readonly code = LoginResponseInvalidError.code;
  constructor(detail: string) {
    super('The sign-in response failed its checks; start again', { detail });
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

/**
 * `Authorization: DPoP` on auth's `/auth/*` routes through the gateway: the client's proof names
 * the gateway's URL and is spent at the edge, so auth would refuse what was forwarded. 400: call
 * auth directly with DPoP (auth's own verifier takes it); the web app's account page uses its
 * cookie session.
 */
export class DpopNotProxiedError extends AppError {
  static readonly code = 'dpop_not_proxied';
  readonly code = DpopNotProxiedError.code;
  readonly status = 400;
  constructor(detail: string) {
    super("The gateway does not forward DPoP requests to auth's /auth/* routes; call auth directly with DPoP", { detail });
  }
}
