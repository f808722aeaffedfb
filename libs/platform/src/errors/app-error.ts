import type { HttpErrorCode } from '@authmesh/contracts';

/**
 * Base class of every failure we answer on purpose. What the caller sees (`code`, `message`,
 * `details`) is kept apart from what only the log sees (`detail`), as node-oidc-provider does:
 * a security failure's public message is a fixed string, the reason goes to the log.
 */
export abstract class AppError extends Error {
  /** Stable, machine-readable code; part of the API contract (listed in @authmesh/contracts' catalogue). */
  abstract readonly code: HttpErrorCode;
  /** HTTP status this failure maps to. */
  abstract readonly status: number;
  /** Extra response headers (WWW-Authenticate, Retry-After…). */
  readonly headers: Readonly<Record<string, string>> = {};
  /** Public structured details (e.g. the fields of a validation error). */
  readonly details?: unknown;
  /** Private detail for the log only; never sent to the caller. */
  readonly detail?: string;

  constructor(message: string, options?: { detail?: string; details?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.detail = options?.detail;
    this.details = options?.details;
  }
}

/** One field that failed validation. */
export interface FieldProblem {
  field: string;
  problems: string[];
}

/** A request body, query or parameter failed validation: 400 naming every bad field. */
export class RequestValidationError extends AppError {
  static readonly code = 'validation_failed';
  readonly code = RequestValidationError.code;
  readonly status = 400;
  declare readonly details: { fields: FieldProblem[] };

  constructor(fields: FieldProblem[]) {
    super(`Invalid request: ${fields.map((f) => f.field).join(', ')}`, { details: { fields } });
  }
}

/** A dependency (database, Redis, another service) is unreachable: 503 with Retry-After. */
export class DependencyUnavailableError extends AppError {
  static readonly code: HttpErrorCode = 'dependency_unavailable';
  readonly code: HttpErrorCode = DependencyUnavailableError.code;
  readonly status = 503;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options?: { retryAfterSeconds?: number; detail?: string; details?: unknown; cause?: unknown }) {
    super(message, options);
    this.headers = { 'retry-after': String(options?.retryAfterSeconds ?? 5) };
  }
}

/** Seconds a client is told to wait when the database is away: about a Postgres restart or failover. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The service's PostgreSQL is unreachable or going away (stopped, restarting, failing over, out of
 * connections): 503 `database_unavailable` with Retry-After. A code of its own rather than
 * `dependency_unavailable` so a client or an operator reading an answer knows which dependency,
 * without the log; it is still a DependencyUnavailableError, handled as every outage is.
 */
export class DatabaseUnavailableError extends DependencyUnavailableError {
  static override readonly code = 'database_unavailable';
  override readonly code = DatabaseUnavailableError.code;

  constructor(options?: { detail?: string; cause?: unknown }) {
    super('The database is unavailable; try again later', { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS, ...options });
  }
}

/** The service is not ready to take traffic (a readiness check failed). */
export class NotReadyError extends DependencyUnavailableError {
  static override readonly code = 'not_ready';
  override readonly code = NotReadyError.code;
}

/** A rate limit was hit: 429 with Retry-After. Subclasses name the limit with their own code. */
export class TooManyRequestsError extends AppError {
  static readonly code: HttpErrorCode = 'too_many_requests';
  readonly code: HttpErrorCode = TooManyRequestsError.code;
  readonly status = 429;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(retryAfterSeconds: number, message = 'Too many requests; try again later') {
    super(message);
    this.headers = { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

/** A body in a media type the route does not take (a form on a JSON endpoint): 415 with Accept-Post. */
export class UnsupportedMediaTypeError extends AppError {
  static readonly code = 'unsupported_media_type';
  readonly code = UnsupportedMediaTypeError.code;
  readonly status = 415;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(accepted: readonly string[], got: string | undefined) {
    super(`The request body must be ${accepted.join(' or ')} (got ${got === undefined ? 'no Content-Type' : JSON.stringify(got)})`);
    // Accept-Post (W3C LDP §7.1, IANA-registered): the media types this POST takes.
    this.headers = { 'accept-post': accepted.join(', ') };
  }
}

/**
 * A request target Fastify's router cannot decode (an invalid percent-encoding such as `/orders/%ff`,
 * FST_ERR_BAD_URL): 400 in the platform shape instead of Fastify's raw one. Stable code `bad_url`.
 */
export class BadUrlError extends AppError {
  static readonly code = 'bad_url';
  readonly code = BadUrlError.code;
  readonly status = 400;

  constructor(detail?: string) {
    super('The request URL is not valid: a percent-encoding in its path does not decode', { detail });
  }
}

/** A known path asked with a method it does not have: 405 with Allow (RFC 9110 §15.5.6). */
export class MethodNotAllowedError extends AppError {
  static readonly code = 'method_not_allowed';
  readonly code = MethodNotAllowedError.code;
  readonly status = 405;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(method: string, allowed: readonly string[]) {
    super(`${method} is not allowed here; allowed: ${allowed.join(', ')}`);
    this.headers = { allow: allowed.join(', ') };
  }
}
