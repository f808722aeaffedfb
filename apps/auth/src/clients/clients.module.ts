import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { CryptoModule } from '../crypto/crypto.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { ClientEntity } from './client.entity.js';
import { ClientsAdminController } from './clients-admin.controller.js';
import { ClientsService } from './clients.service.js';
import { ClientChangeSubscriber } from './client-change-subscriber.js';
import { ClientRecordCache } from './client-record-cache.js';

/**
 * OAuth clients: the table, their secrets, `/admin/clients` (disabling one revokes its tokens), and
 * the cache of client records that keeps client credentials working through a database blip.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ClientEntity]), CryptoModule, AuthRevocationModule],
  controllers: [ClientsAdminController],
  providers: [
    ClientsService,
    {
      provide: ClientRecordCache,
      useFactory: (config: AuthConfig) => new ClientRecordCache({ maxStaleMs: config.auth.clientCacheMaxStaleSeconds * 1000 }),
      inject: [APP_CONFIG],
    },
    ClientChangeSubscriber,
  ],
  exports: [ClientsService],
})
export class ClientsModule {}
