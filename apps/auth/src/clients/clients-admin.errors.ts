import { AppError } from '@authmesh/platform';

/** `POST /admin/clients` for a client id that is already taken: 409, nothing changes. */
export class ClientExistsError extends AppError {
  static readonly code = 'client_exists';
  readonly code = ClientExistsError.code;
  readonly status = 409;

  constructor(clientId: string) {
    super(`A client with id "${clientId}" already exists`);
  }
}

/** An admin operation named a client that does not exist: 404. */
export class ClientNotFoundError extends AppError {
  static readonly code = 'client_not_found';
  readonly code = ClientNotFoundError.code;
  readonly status = 404;

  constructor(clientId: string) {
    super(`No client with id "${clientId}"`);
  }
}
