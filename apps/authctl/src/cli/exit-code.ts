import { CliError, ExitCode, ServerRefusedError } from './errors.js';

/** A CommanderError, recognised by shape so this module needs no CommonJS import (and stays loadable by Jest). */
interface CommanderErrorLike {
  code: string;
  exitCode: number;
}

function isCommanderError(e: unknown): e is CommanderErrorLike {
  const c = e as Partial<CommanderErrorLike> | null;
  return typeof c?.code === 'string' && c.code.startsWith('commander.') && typeof c.exitCode === 'number';
}

/**
 * The exit code and the stderr text (if any) for how a command ended. Commander has already
 * printed its own usage errors ("error: unknown option …"), so those add no text here.
 */
export function outcomeOf(error: unknown): { exitCode: ExitCode; message?: string } {
  if (error === undefined) return { exitCode: ExitCode.Ok };
  if (isCommanderError(error)) return { exitCode: error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage };
  if (error instanceof ServerRefusedError) {
    return { exitCode: error.exitCode, message: `authctl: auth refused: ${error.status} ${error.code}: ${error.message}` };
  }
  if (error instanceof CliError) return { exitCode: error.exitCode, message: `authctl: ${error.message}` };
  // A bug in authctl, not an answer from auth: show it in full.
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exitCode: ExitCode.Internal, message: `authctl: unexpected error (a bug in authctl): ${text}` };
}
