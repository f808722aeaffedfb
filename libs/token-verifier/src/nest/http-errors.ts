import { AppError } from '@authmesh/platform';
import { DpopProofError } from '../core/dpop/errors.js';
import { DPOP_SIGNING_ALGS } from '../core/dpop/verify-dpop-proof.js';
import { MultipleCredentialsError, type TokenErrorCode, TokenMissingError, type TokenVerificationError } from '../core/errors.js';

/** RFC 9449 §7.1 `algs`: the proof algorithms every verifier accepts (never `none` or HMAC). */
export const DPOP_ALGS_PARAM = `algs="${DPOP_SIGNING_ALGS.join(' ')}"`;

/** Which scheme the request used: a failure of a DPoP request is answered with a DPoP challenge. */
export type PresentedScheme = 'bearer' | 'dpop';

/**
 * A token verification failure as an HTTP answer (rendered by platform's global filter as
 * `{ code, message, requestId }`, with the detail going to the log only):
 *
 * - no credentials (or another scheme): 401, `WWW-Authenticate: Bearer, DPoP algs="…"` with no
 *   error code (RFC 6750 §3.1: "the resource server SHOULD NOT include an error code"); the DPoP
 *   challenge tells a client that DPoP is accepted, and with which proof algorithms (RFC 9449 §7.1);
 * - two Authorization headers: 400, `error="invalid_request"` (RFC 6750 §3.1);
 * - a DPoP failure (a bad proof, a bound token sent as Bearer): 401,
 *   `DPoP error="invalid_dpop_proof"` (or `invalid_token`, `use_dpop_nonce`: the error's own
 *   §7.1 name), `error_description`, `algs`;
 * - every other failure: 401, `error="invalid_token", error_description="<fixed public message>"`,
 *   in the scheme the request used (`DPoP … algs="…"` for a DPoP request, RFC 9449 §7.1).
 */
export class InvalidTokenHttpError extends AppError {
  readonly code: TokenErrorCode;
  readonly status: number;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(error: TokenVerificationError, scheme: PresentedScheme = 'bearer') {
    super(error.message, { detail: error.detail });
    this.code = error.code;
    if (error instanceof TokenMissingError) {
      this.status = 401;
      this.headers = { 'www-authenticate': `Bearer, DPoP ${DPOP_ALGS_PARAM}` };
    } else if (error instanceof MultipleCredentialsError) {
      this.status = 400;
      this.headers = { 'www-authenticate': challenge('Bearer', 'invalid_request', error.message) };
    } else if (error instanceof DpopProofError) {
      this.status = 401;
      this.headers = { 'www-authenticate': `${challenge('DPoP', error.wwwAuthenticateError, error.message)}, ${DPOP_ALGS_PARAM}` };
    } else if (scheme === 'dpop') {
      this.status = 401;
      this.headers = { 'www-authenticate': `${challenge('DPoP', 'invalid_token', error.message)}, ${DPOP_ALGS_PARAM}` };
    } else {
      this.status = 401;
      this.headers = { 'www-authenticate': challenge('Bearer', 'invalid_token', error.message) };
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

function challenge(scheme: 'Bearer' | 'DPoP', error: string, description: string): string {
  // RFC 6750 §3 (and RFC 9449 §7.1, which reuses it): error_description is limited to %x20-21 /
  // %x23-5B / %x5D-7E. Our messages are fixed strings that satisfy it; strip anything else anyway
  // rather than break the header.
  return `${scheme} error="${error}", error_description="${description.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}
