import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { AuthctlModule } from './authctl.module.js';
import { outcomeOf } from './cli/exit-code.js';
import { throwCommanderError } from './commands/authctl-command.js';
import { Output } from './output/output.js';

// authctl, the ops CLI: auth's admin HTTP API (never a database), with a client-credentials token
// of a client holding scope auth:admin. Exit codes: ExitCode in cli/errors.ts and `authctl --help`.
let failure: unknown;
await CommandFactory.run(AuthctlModule, {
  logger: false,
  // A group's options (`keys --json`) are only read before its subcommand; otherwise commander lets
  // the group swallow `keys list --json` and the subcommand never sees it.
  enablePositionalOptions: true,
  // Root-level usage errors are rethrown (commander would exit 1 itself); they and every command's
  // failure land here, and the exit code is chosen below.
  errorHandler: throwCommanderError,
  serviceErrorHandler: (err) => {
    failure = err;
  },
});
const { exitCode, message } = outcomeOf(failure);
if (message) new Output().error(message);
process.exitCode = exitCode;
