import type { TokenErrorCode } from '@authmesh/contracts';

/**
 * One class per verification failure, each with a stable `code` (static and on the instance), as
 * jose's `src/util/errors.ts` does. The `message` is a fixed public string safe to send to the
 * caller (it ends up in `WWW-Authenticate: Bearer error_description="…"`, so it must stay within
 * RFC 6750 §3's character set: no `"` and no `\`). What went wrong in detail goes to `detail`,
 * which only the log sees (node-oidc-provider's `error_description` / `error_detail` split).
 *
 * Framework-free on purpose: the Nest adapter maps these to HTTP answers.
 */
export type { TokenErrorCode } from '@authmesh/contracts';

/** Base class of every token verification failure. */
export abstract class TokenVerificationError extends Error {
  abstract readonly code: TokenErrorCode;
  /** Private detail for the log; never sent to the caller (it may quote attacker-controlled input). */
  readonly detail: string | undefined;

  protected constructor(publicMessage: string, detail?: string) {
    super(publicMessage);
    this.name = new.target.name;
    this.detail = detail;
  }
}

/** No credentials at all, or credentials in a scheme other than Bearer (RFC 6750 §3.1: no error code). */
export class TokenMissingError extends TokenVerificationError {
  static readonly code = 'token_missing';
  readonly code = TokenMissingError.code;
  constructor(detail?: string) {
    super('An access token is required', detail);
  }
}

/** Not a compact JWS of three base64url segments with JSON header and claims, or a required claim is absent. */
export class TokenMalformedError extends TokenVerificationError {
  static readonly code = 'token_malformed';
  readonly code = TokenMalformedError.code;
  constructor(detail?: string) {
    super('The access token is malformed', detail);
  }
}

/**
 * The request carries more than one credential (two Authorization headers). A malformed request
 * rather than a bad token: RFC 6750 §3.1 `invalid_request` ("repeats the same parameter, uses more
 * than one method for including an access token"), answered with 400. A code of its own: a client
 * told `token_malformed` would look for the fault in a token that may well be fine.
 */
export class MultipleCredentialsError extends TokenVerificationError {
  static readonly code = 'token_ambiguous';
  readonly code = MultipleCredentialsError.code;
  constructor(detail?: string) {
    super('The request carries more than one access token', detail);
  }
}

/** Longer than the configured cap; rejected before any parsing. */
export class TokenTooLargeError extends TokenVerificationError {
  static readonly code = 'token_too_large';
  readonly code = TokenTooLargeError.code;
  constructor(detail?: string) {
    super('The access token is too large', detail);
  }
}

/** `alg` is not RS256 (none, HS256, RS512, PS256…). */
export class TokenBadAlgorithmError extends TokenVerificationError {
  static readonly code = 'token_bad_algorithm';
  readonly code = TokenBadAlgorithmError.code;
  constructor(detail?: string) {
    super('The access token is not signed with an accepted algorithm', detail);
  }
}

/** No `kid`, or a `kid` that the (refreshed) JWKS does not hold. */
export class TokenUnknownKeyError extends TokenVerificationError {
  static readonly code = 'token_unknown_key';
  readonly code = TokenUnknownKeyError.code;
  constructor(detail?: string) {
    super('The access token is signed with an unknown key', detail);
  }
}

/** The signature does not verify under the key named by `kid`. */
export class TokenBadSignatureError extends TokenVerificationError {
  static readonly code = 'token_bad_signature';
  readonly code = TokenBadSignatureError.code;
  constructor(detail?: string) {
    super('The access token signature is invalid', detail);
  }
}

/** `exp` is in the past beyond the clock tolerance. */
export class TokenExpiredError extends TokenVerificationError {
  static readonly code = 'token_expired';
  readonly code = TokenExpiredError.code;
  constructor(detail?: string) {
    super('The access token has expired', detail);
  }
}

/** `nbf` or `iat` is in the future beyond the clock tolerance. */
export class TokenNotYetValidError extends TokenVerificationError {
  static readonly code = 'token_not_yet_valid';
  readonly code = TokenNotYetValidError.code;
  constructor(detail?: string) {
    super('The access token is not valid yet', detail);
  }
}

/** `iss` is not exactly the configured issuer. */
export class TokenWrongIssuerError extends TokenVerificationError {
  static readonly code = 'token_wrong_issuer';
  readonly code = TokenWrongIssuerError.code;
  constructor(detail?: string) {
    super('The access token was issued by an untrusted issuer', detail);
  }
}

/** `aud` does not contain this service's audience. */
export class TokenWrongAudienceError extends TokenVerificationError {
  static readonly code = 'token_wrong_audience';
  readonly code = TokenWrongAudienceError.code;
  constructor(detail?: string) {
    super('The access token is not intended for this service', detail);
  }
}

/** `typ` is not `at+jwt` (RFC 9068 §4): an ID token or another JWT used as an access token. */
export class TokenWrongTypeError extends TokenVerificationError {
  static readonly code = 'token_wrong_type';
  readonly code = TokenWrongTypeError.code;
  constructor(detail?: string) {
    super('The token is not an access token', detail);
  }
}

/** The revocation check says the token (its `jti`, or its subject since `iat`) is revoked. */
export class TokenRevokedError extends TokenVerificationError {
  static readonly code = 'token_revoked';
  readonly code = TokenRevokedError.code;
  constructor(detail?: string) {
    super('The access token has been revoked', detail);
  }
}

/** No usable JWKS (never loaded, or older than the staleness bound), or a kid we cannot look up while auth is unreachable. */
export class KeysUnavailableError extends TokenVerificationError {
  static readonly code = 'keys_unavailable';
  readonly code = KeysUnavailableError.code;
  constructor(detail?: string) {
    super('The keys needed to verify the access token are unavailable', detail);
  }
}

/** Every code, e.g. to pre-create metric label values. */
export const TOKEN_ERROR_CODES: readonly TokenErrorCode[] = [
  TokenMissingError.code,
  TokenMalformedError.code,
  MultipleCredentialsError.code,
  TokenTooLargeError.code,
  TokenBadAlgorithmError.code,
  TokenUnknownKeyError.code,
  TokenBadSignatureError.code,
  TokenExpiredError.code,
  TokenNotYetValidError.code,
  TokenWrongIssuerError.code,
  TokenWrongAudienceError.code,
  TokenWrongTypeError.code,
  TokenRevokedError.code,
  KeysUnavailableError.code,
];

/** Quotes a piece of attacker-controlled input for a log detail: bounded, control characters escaped. */
export function quoteForLog(value: unknown, max = 64): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}
