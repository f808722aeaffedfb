import type { OAuthErrorCode } from '@authmesh/contracts';
import type { SelfRenderingError } from '@authmesh/platform';

/**
 * An OAuth error, rendered in RFC 6749 §5.2 form: `{ "error", "error_description" }`, with
 * `Cache-Control: no-store`. Subclasses are named after their RFC code.
 */
export abstract class OAuthError extends Error implements SelfRenderingError {
  abstract readonly error: OAuthErrorCode;
  readonly status: number = 400;
  protected extraHeaders: Record<string, string> = {};

  render(): { status: number; headers: Record<string, string>; body: unknown } {
    return {
      status: this.status,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...this.extraHeaders },
      body: { error: this.error, error_description: this.message },
    };
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
