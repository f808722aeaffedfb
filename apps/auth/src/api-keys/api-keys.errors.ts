import { AppError } from '@authmesh/platform';

/** A key id that names no key (of this owner, for the self-service API): 404. */
export class ApiKeyNotFoundError extends AppError {
  static readonly code = 'api_key_not_found';
  readonly code = ApiKeyNotFoundError.code;
  readonly status = 404;
  constructor(id: string) {
    super('No such API key', { detail: `api key ${id.slice(0, 64)}` });
  }
}

/** Rotating a key that is revoked or already expired: 409, nothing created (create a new key instead). */
export class ApiKeyNotActiveError extends AppError {
  static readonly code = 'api_key_not_active';
  readonly code = ApiKeyNotActiveError.code;
  readonly status = 409;
  constructor(id: string) {
    super('The API key is revoked or expired; create a new one', { detail: `api key ${id}` });
  }
}

/** The self-service key API (`/auth/api-keys`) is for users; a service token is refused: 403 (as on `/auth/sessions`). */
export class ApiKeysNeedUserError extends AppError {
  static readonly code = 'user_token_required';
  readonly code = ApiKeysNeedUserError.code;
  readonly status = 403;
  constructor(clientId: string) {
    super("This API manages a user's own keys; a client's keys are managed with /admin/api-keys", { detail: `client ${clientId}` });
  }
}
