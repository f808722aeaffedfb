import { AppError } from '@authmesh/platform';
import { MultipleCredentialsError, type TokenErrorCode, TokenMissingError, type TokenVerificationError } from '../core/errors.js';

/**
 * A token verification failure as an HTTP answer (rendered by platform's global filter as
 * `{ code, message, requestId }`, with the detail going to the log only):
 *
 * - no credentials (or another scheme): 401, `WWW-Authenticate: Bearer` with no error code
 *   (RFC 6750 §3.1: "the resource server SHOULD NOT include an error code");
 * - two Authorization headers: 400, `error="invalid_request"` (RFC 6750 §3.1);
 * - every other failure: 401, `error="invalid_token", error_description="<fixed public message>"`.
 */
export class InvalidTokenHttpError extends AppError {
  readonly code: TokenErrorCode;
  readonly status: number;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(error: TokenVerificationError) {
    super(error.message, { detail: error.detail });
    this.code = error.code;
    if (error instanceof TokenMissingError) {
      this.status = 401;
      this.headers = { 'www-authenticate': 'Bearer' };
    } else if (error instanceof MultipleCredentialsError) {
      this.status = 400;
      this.headers = { 'www-authenticate': bearerChallenge('invalid_request', error.message) };
    } else {
      this.status = 401;
      this.headers = { 'www-authenticate': bearerChallenge('invalid_token', error.message) };
    }
  }
}

/** The token is valid but lacks a scope the route requires: 403 (RFC 6750 §3.1 `insufficient_scope`). */
export class InsufficientScopeError extends AppError {
  static readonly code = 'insufficient_scope';
  readonly code = InsufficientScopeError.code;
  readonly status = 403;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(required: readonly string[], detail?: string) {
    super('The access token does not grant the scope this request requires', { detail, details: { requiredScopes: required } });
    // Scope tokens cannot contain `"` or `\` (RFC 6749 §3.3), so the value needs no escaping.
    this.headers = { 'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"` };
  }
}

function bearerChallenge(error: string, description: string): string {
  // RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. Our messages are
  // fixed strings that satisfy it; strip anything else anyway rather than break the header.
  return `Bearer error="${error}", error_description="${description.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}
