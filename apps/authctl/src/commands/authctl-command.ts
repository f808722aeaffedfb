import { CommandRunner, Option } from 'nest-commander';

/** commander's Command, as nest-commander's own (nested) copy of commander types it. */
export type CommanderCommand = Parameters<CommandRunner['setCommand']>[0];

/** Commander reports usage errors through this; rethrowing lets main map them to exit code 2. */
export const throwCommanderError = (err: Error): never => {
  throw err;
};

/**
 * Base of every authctl command: `--json`, usage errors that reach main as exceptions (commander
 * would otherwise `process.exit(1)` from inside subcommands, which nest-commander does not
 * configure), and no silently ignored extra arguments on leaf commands.
 */
export abstract class AuthctlCommand extends CommandRunner {
  /** Leaf commands take a fixed number of arguments; group commands (`keys`, `clients`) report unknown ones themselves. */
  protected readonly strictArguments: boolean = true;

  override setCommand(command: CommanderCommand): this {
    command.exitOverride(throwCommanderError).showHelpAfterError('(add --help for usage)');
    if (this.strictArguments) command.allowExcessArguments(false);
    return super.setCommand(command);
  }

  @Option({ flags: '--json', description: "print auth's JSON answer (one document on stdout) instead of text" })
  parseJson(): boolean {
    return true;
  }
}

/** Options every command receives. */
export interface JsonOption {
  json?: boolean;
}
