import { AppError } from '@authmesh/platform';

/** `POST /auth/verify-email` with a token that is unknown, used or expired: 400, nothing changes. */
export class InvalidVerificationToken extends AppError {
  static readonly code = 'verification_token_invalid';
  readonly code = InvalidVerificationToken.code;
  readonly status = 400;
  constructor() {
    super('The verification token is invalid, used or expired');
  }
}

/**
 * The right password for an account whose address is not verified yet (AUTH_EMAIL_VERIFICATION
 * = required). Only answered after the password checked out: knowing it means having registered
 * the account, so this tells the caller nothing they did not know.
 */
export class EmailUnverified extends AppError {
  static readonly code = 'email_unverified';
  readonly code = EmailUnverified.code;
  readonly status = 403;
  constructor() {
    super('The e-mail address of this account is not verified yet; use the token sent to it');
  }
}

/** `POST /auth/unlock` with a token that is unknown, used or expired: 400, no address becomes known. */
export class InvalidUnlockToken extends AppError {
  static readonly code = 'unlock_token_invalid';
  readonly code = InvalidUnlockToken.code;
  readonly status = 400;
  constructor() {
    super('The unlock token is invalid, used or expired');
  }
}
