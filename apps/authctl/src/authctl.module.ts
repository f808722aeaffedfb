import { Module } from '@nestjs/common';
import { AdminApiClient } from './api/admin-api.client.js';
import { ClientsCommand, ClientsCreateCommand, ClientsDisableCommand, ClientsListCommand } from './commands/clients.command.js';
import { KeysCommand, KeysEventsCommand, KeysListCommand, KeysRevokeCommand, KeysRotateCommand } from './commands/keys.command.js';
import { Program } from './commands/program.js';
import {
  ApiKeysCommand,
  ApiKeysCreateCommand,
  ApiKeysListCommand,
  ApiKeysRevokeCommand,
  ApiKeysRotateCommand,
} from './commands/apikeys.command.js';
import { RevokeCommand } from './commands/revoke.command.js';
import { ConfigSource } from './config/authctl.config.js';
import { Output } from './output/output.js';

/** The CLI's composition root: the commands and the three collaborators they share. */
@Module({
  providers: [
    { provide: ConfigSource, useValue: new ConfigSource(process.env) },
    { provide: AdminApiClient, useFactory: (config: ConfigSource) => new AdminApiClient(() => config.get()), inject: [ConfigSource] },
    { provide: Output, useValue: new Output() },
    Program,
    KeysCommand,
    KeysListCommand,
    KeysRotateCommand,
    KeysRevokeCommand,
    KeysEventsCommand,
    ClientsCommand,
    ClientsCreateCommand,
    ClientsListCommand,
    ClientsDisableCommand,
    RevokeCommand,
    ApiKeysCommand,
    ApiKeysCreateCommand,
    ApiKeysListCommand,
    ApiKeysRevokeCommand,
    ApiKeysRotateCommand,
  ],
})
export class AuthctlModule {}
