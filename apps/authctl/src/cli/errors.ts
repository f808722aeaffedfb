import type { AuthctlErrorCode } from '@authmesh/contracts';

/**
 * Exit codes of authctl (documented in docs/operations.md and docs/errors.md). A script can tell "my input was wrong"
 * (2, nothing was sent), "auth said no" (1, retrying will not help) and "auth is not usable right
 * now or refuses the CLI itself" (3, fix the environment or retry later) apart.
 */
export const ExitCode = {
  Ok: 0,
  /** The server refused the operation (a 4xx): its `code` and message are printed. */
  ServerRefused: 1,
  /** Usage error or refused input (bad flag, missing --reason, ambiguous kid, bad configuration): nothing was changed. */
  Usage: 2,
  /** Auth unreachable, timed out, answered 5xx/429, or rejected the CLI's own credentials. */
  Unavailable: 3,
  /** A bug in authctl itself (sysexits EX_SOFTWARE); the stack trace is printed. */
  Internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base of every failure authctl reports on purpose: a stable `code`, an exit code, a message for stderr. */
export abstract class CliError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Bad arguments or flags, refused before anything is sent to auth. */
export class UsageError extends CliError {
  static readonly code = 'usage';
  readonly code = UsageError.code;
  readonly exitCode = ExitCode.Usage;
}

/** Input that is well-formed but dangerous or ambiguous (an ambiguous kid prefix, a retired key): refused, nothing changed. */
export class RefusedInputError extends CliError {
  constructor(
    readonly code: AuthctlErrorCode,
    message: string,
  ) {
    super(message);
  }
  readonly exitCode = ExitCode.Usage;
}

/** AUTH_URL, AUTHCTL_* are missing or invalid; every bad variable is named. */
export class ConfigInvalidError extends CliError {
  static readonly code = 'config_invalid';
  readonly code = ConfigInvalidError.code;
  readonly exitCode = ExitCode.Usage;

  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Auth answered a 4xx to an admin call: the operation was refused (its `code` is auth's). */
export class ServerRefusedError extends CliError {
  readonly exitCode = ExitCode.ServerRefused;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** Auth could not be used: unreachable, too slow, a 5xx or 429, or an answer that is not its API. */
export class AuthUnavailableError extends CliError {
  static readonly code = 'auth_unavailable';
  readonly code = AuthUnavailableError.code;
  readonly exitCode = ExitCode.Unavailable;
}

/** Auth refused the CLI's own client credentials (or their token): fix AUTHCTL_CLIENT_ID / AUTHCTL_CLIENT_SECRET. */
export class CredentialsRejectedError extends CliError {
  static readonly code = 'credentials_rejected';
  readonly code = CredentialsRejectedError.code;
  readonly exitCode = ExitCode.Unavailable;
}
