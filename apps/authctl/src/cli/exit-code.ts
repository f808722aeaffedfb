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
    const fields = fieldProblemLines(error.body);
    return { exitCode: error.exitCode, message: `authctl: auth refused: ${error.status} ${error.code}: ${error.message}${fields}` };
  }
  if (error instanceof CliError) return { exitCode: error.exitCode, message: `authctl: ${error.message}` };
  // A bug in authctl, not an answer from auth: show it in full.
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exitCode: ExitCode.Internal, message: `authctl: unexpected error (a bug in authctl): ${text}` };
}

/**
 * The per-field problems of auth's 400 `validation_failed` body (`details.fields[{ field, problems }]`),
 * one indented line each, so the operator sees what was wrong (and e.g. the known scopes), not only
 * which field.
 */
function fieldProblemLines(body: unknown): string {
  const fields = (body as { details?: { fields?: unknown } } | null | undefined)?.details?.fields;
  if (!Array.isArray(fields)) return '';
  const lines: string[] = [];
  for (const f of fields as { field?: unknown; problems?: unknown }[]) {
    if (typeof f?.field !== 'string' || !Array.isArray(f.problems)) continue;
    for (const p of f.problems) if (typeof p === 'string') lines.push(`\n  ${f.field}: ${p}`);
  }
  return lines.join('');
}
