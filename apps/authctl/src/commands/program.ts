import { Injectable } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import { ROOT_HELP_AFTER } from '../output/help.js';
import type { CommanderCommand } from './authctl-command.js';

/** Names the root program and documents configuration and exit codes in `authctl --help`. */
@Injectable()
export class Program {
  constructor(@InjectCommander() program: CommanderCommand) {
    program
      .name('authctl')
      .enablePositionalOptions()
      .description("authmesh ops CLI: signing keys, clients and revocations, through auth's admin API")
      .showHelpAfterError('(add --help for usage)')
      .addHelpText('after', ROOT_HELP_AFTER);
  }
}
