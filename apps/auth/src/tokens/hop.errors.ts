import { AppError } from '@authmesh/platform';

/**
 * A token a client obtained by token exchange (it carries `act`, RFC 8693 §4.1) presented at one
 * of auth's own endpoints: 401 `exchanged_token_refused`. Exchanged tokens are minted for a
 * backend one hop away from the user; nothing a gateway or service minted for itself may end the
 * user's sessions, change the password or reach the admin API.
 */
export class ExchangedTokenRefusedError extends AppError {
  static readonly code = 'exchanged_token_refused';
  readonly code = ExchangedTokenRefusedError.code;
  readonly status = 401;
  // RFC 6750 §3.1 invalid_token: "invalid for other reasons" (this resource does not take it).
  override readonly headers = {
    'www-authenticate': 'Bearer error="invalid_token", error_description="Exchanged tokens are not accepted here"',
  };
  constructor(detail: string) {
    super('Exchanged tokens are not accepted here', { detail });
  }
}

/**
 * A token with a privileged scope (auth:admin) whose audience is not `auth` alone, at a route that
 * needs that scope: 403 `admin_token_required`. A token that names other audiences as well has
 * been (or can be) shown to those services, so it is not good for the admin API, whatever its scope.
 */
export class AdminTokenRequiredError extends AppError {
  static readonly code = 'admin_token_required';
  readonly code = AdminTokenRequiredError.code;
  readonly status = 403;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(required: readonly string[], detail: string) {
    super('This request needs an admin token: audience auth alone (POST /auth/admin-token, or a client-credentials token for auth)', {
      detail,
      details: { requiredScopes: required, requiredAudience: ['auth'] },
    });
    // RFC 6750 §3.1: a valid token without the privileges the request needs is insufficient_scope.
    this.headers = {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}", error_description="This request needs a token for audience auth alone"`,
    };
  }
}
