import type { InternalErrorCode } from '@authmesh/contracts';

/** Base class of the service-auth failures; `code` is stable, `retryable` says whether trying again may help. */
export abstract class ServiceAuthError extends Error {
  abstract readonly code: InternalErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/**
 * The token endpoint did not give us a token. `retryable` is false for answers that another try
 * can't change (400/401: a wrong secret, an audience the client may not have).
 */
export class TokenFetchError extends ServiceAuthError {
  static readonly code = 'token_fetch_failed';
  readonly code = TokenFetchError.code;

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { status?: number; cause?: unknown },
  ) {
    super(message, options);
    this.status = options?.status;
  }

  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status?: number;
}

/** The callee could not be reached, or did not answer within the timeout. */
export class ServiceUnreachableError extends ServiceAuthError {
  static readonly code = 'service_unreachable';
  readonly code = ServiceUnreachableError.code;

  constructor(
    message: string,
    readonly reason: 'timeout' | 'network',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
