import { AppError } from '@authmesh/platform';

/**
 * `POST /auth/sessions/:id/revoke` for an id that is not one of the caller's sessions: unknown,
 * malformed, or someone else's — one answer for all three, so the route can't be used to learn
 * which session ids exist (an enumeration oracle across accounts).
 */
export class SessionNotFoundError extends AppError {
  static readonly code = 'session_not_found';
  readonly code = SessionNotFoundError.code;
  readonly status = 404;

  constructor() {
    super('No such session');
  }
}

/** The account API with a client-credentials token: only a user has sessions (refresh families) to list. */
export class SessionsNeedUserError extends AppError {
  static readonly code = 'user_token_required';
  readonly code = SessionsNeedUserError.code;
  readonly status = 403;

  constructor(clientId: string) {
    super("A user's sessions are listed and revoked with that user's token", { detail: `client-credentials token of ${clientId}` });
  }
}
