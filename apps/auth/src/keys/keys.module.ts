import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { KeyLifecycle } from './key-lifecycle.service.js';
import { KeyScheduler } from './key-scheduler.js';
import { Keyring } from './keyring.service.js';
import { KeysAdminController } from './keys-admin.controller.js';
import { SigningKeyEventEntity } from './signing-key-event.entity.js';
import { SigningKeyEntity } from './signing-key.entity.js';
import { SigningKeyStore, TypeOrmSigningKeyStore } from './signing-key.store.js';
import { WellKnownController } from './well-known.controller.js';

/**
 * Signing keys: the keyring (which key signs, which are published), their lifecycle
 * (pending → active → retiring → retired, or revoked) and its scheduler, the JWKS and discovery
 * documents under `/.well-known`, and `/admin/keys`.
 */
@Module({
  // A revoked key's tokens go out through the revocation outbox.
  imports: [TypeOrmModule.forFeature([SigningKeyEntity, SigningKeyEventEntity]), AuthRevocationModule],
  controllers: [WellKnownController, KeysAdminController],
  // KeyringKeySource (the verifier's view of the keyring) is wired with the verifier in auth.module.ts.
  providers: [{ provide: SigningKeyStore, useClass: TypeOrmSigningKeyStore }, Keyring, KeyLifecycle, KeyScheduler],
  exports: [Keyring, KeyLifecycle],
})
export class KeysModule {}
