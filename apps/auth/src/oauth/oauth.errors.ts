import type { OAuthErrorCode, TokenErrorCode } from '@authmesh/contracts';
import type { SelfRenderingError } from '@authmesh/platform';
import type { DpopProofError } from '@authmesh/token-verifier';

/**
 * An OAuth error, rendered in RFC 6749 §5.2 form: `{ "error", "error_description" }`, with
 * `Cache-Control: no-store`. Subclasses are named after their RFC code.
 */
export abstract class OAuthError extends Error implements SelfRenderingError {
  abstract readonly error: OAuthErrorCode;
  readonly status: number = 400;
  protected extraHeaders: Record<string, string> = {};
  /** Our stable code of the failure, when the RFC `error` covers several (the DPoP ones); sent as `code`. */
  protected code: TokenErrorCode | undefined;

  render(): { status: number; headers: Record<string, string>; body: unknown } {
    return {
      status: this.status,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...this.extraHeaders },
      body: { error: this.error, error_description: this.message, ...(this.code === undefined ? {} : { code: this.code }) },
    };
  }
}

/**
 * RFC 9449 §5: the DPoP proof of a token request is missing (for a client that must use DPoP),
 * invalid or replayed. 400; the body's `code` names the failed check (`dpop_proof_stale`…).
 */
export class InvalidDpopProof extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  constructor(failure: DpopProofError) {
    super(failure.message);
    this.code = failure.code;
  }
}

/**
 * RFC 9449 §8: the proof must carry the server nonce. 400 with the nonce to retry with in
 * `DPoP-Nonce` (the controller sends it on every token response, this one included).
 */
export class UseDpopNonce extends OAuthError {
  readonly error = 'use_dpop_nonce';
  constructor(failure: DpopProofError) {
    super(failure.message);
    this.code = failure.code;
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}

/** RFC 6749 §5.2: 401 with WWW-Authenticate naming the scheme the client should use. */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
  constructor(message = 'Client authentication failed') {
    super(message);
    this.extraHeaders = { 'www-authenticate': 'Basic realm="authmesh", charset="UTF-8"' };
  }
}

export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
  /** `code`: our stable code when `invalid_grant` alone is ambiguous (a DPoP binding the grant can't be used with). */
  constructor(message: string, code?: TokenErrorCode) {
    super(message);
    this.code = code;
  }
}

export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}

export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}

export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}

/** RFC 8707 §2: the requested audience/resource is not one this client may get. */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
}
