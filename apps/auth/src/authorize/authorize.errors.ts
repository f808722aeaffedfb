import type { SelfRenderingError } from '@authmesh/platform';
import { pageHeaders } from './page-response.js';
import { errorPage } from './pages.js';

/**
 * A refusal shown as an HTML page at auth, never as a redirect: the client or its redirect URI is
 * not known to be genuine (RFC 6749 §4.1.2.1: "MUST NOT automatically redirect the user-agent to
 * the invalid redirection URI"), or the request lacks what makes a code safe to hand out (S256
 * PKCE, OAuth 2.1 §4.1.1), or a form came without its CSRF token. `code` is the OAuth error code
 * shown in `#error-code`.
 */
export class AuthorizePageError extends Error implements SelfRenderingError {
  constructor(
    readonly code: 'invalid_request' | 'invalid_client' | 'unauthorized_client' | 'csrf_failed',
    description: string,
    readonly status = 400,
  ) {
    super(description);
  }

  render(): { status: number; headers: Record<string, string>; body: unknown } {
    return { status: this.status, headers: pageHeaders(), body: errorPage(this.code, this.message).value };
  }
}

/** The form's CSRF token is missing or not the one bound to this browser's pre-login cookie. */
export class FormCsrfFailed extends AuthorizePageError {
  constructor() {
    super('csrf_failed', 'The form expired or did not come from this site. Go back and try again.', 403);
  }
}

/**
 * A refusal sent back to the client's (verified) redirect URI with `error`, `error_description`,
 * `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207 §2).
 */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_scope'
      | 'invalid_target'
      | 'unauthorized_client'
      | 'unsupported_response_type'
      | 'access_denied'
      | 'login_required'
      | 'consent_required',
    description: string,
  ) {
    super(description);
  }
}
