import { AppError } from '@authmesh/platform';

/** An admin operation named a kid auth never had: 404, nothing changes. */
export class KeyNotFoundError extends AppError {
  static readonly code = 'key_not_found';
  readonly code = KeyNotFoundError.code;
  readonly status = 404;

  constructor(kid: string) {
    super(`No signing key with kid "${kid.slice(0, 100)}"`);
  }
}

/** Revoking a key that is already out of the JWKS (retired or revoked): 409, nothing changes. */
export class KeyNotRevocableError extends AppError {
  static readonly code = 'key_not_revocable';
  readonly code = KeyNotRevocableError.code;
  readonly status = 409;

  constructor(kid: string, state: string) {
    super(`Signing key ${kid} is ${state}: it signs nothing and is not published, there is nothing to revoke`, {
      details: { kid, state },
    });
  }
}

/**
 * A planned rotation while another one's key is still pending: 409. Two pending keys would make
 * "which one signs next" ambiguous; `rotate --now` promotes the pending key instead.
 */
export class RotationInProgressError extends AppError {
  static readonly code = 'rotation_in_progress';
  readonly code = RotationInProgressError.code;
  readonly status = 409;

  constructor(kid: string, activatesAt: Date | null) {
    super(
      `Key ${kid} is already pending${activatesAt ? ` (it starts signing at ${activatesAt.toISOString()})` : ''}; ` +
        'use rotate --now to promote it at once',
      { details: { kid, activatesAt: activatesAt?.toISOString() ?? null } },
    );
  }
}
