import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CryptoModule } from '../crypto/crypto.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { ClientEntity } from './client.entity.js';
import { ClientsAdminController } from './clients-admin.controller.js';
import { ClientsService } from './clients.service.js';

/** OAuth clients: the table, their secrets, and `/admin/clients` (disabling one revokes its tokens). */
@Module({
  imports: [TypeOrmModule.forFeature([ClientEntity]), CryptoModule, AuthRevocationModule],
  controllers: [ClientsAdminController],
  providers: [ClientsService],
  exports: [ClientsService],
})
export class ClientsModule {}
