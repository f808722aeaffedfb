import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { Seeder } from './seeder.js';

/** The first admin and the clients named in the environment, created at start. */
@Module({ imports: [AccountsModule, ClientsModule], providers: [Seeder] })
export class SeedModule {}
