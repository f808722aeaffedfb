import { AppError } from '@authmesh/platform';

/** `POST /auth/admin-token` with a client-credentials token: only a user has a password to re-enter (403). */
export class AdminTokenNeedsUserError extends AppError {
  static readonly code = 'user_token_required';
  readonly code = AdminTokenNeedsUserError.code;
  readonly status = 403;
  constructor(clientId: string) {
    super('An admin token is obtained with a user token; a client gets auth:admin by client credentials', {
      detail: `client-credentials token of ${clientId}`,
    });
  }
}
