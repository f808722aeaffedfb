import { Module } from '@nestjs/common';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { KeyLifecycle } from './key-lifecycle.service.js';
import { KeyMetrics } from './key-metrics.js';
import { KeyScheduler } from './key-scheduler.js';
import { Keyring } from './keyring.service.js';
import { KeysAdminController } from './keys-admin.controller.js';
import { SigningKeyStore, TypeOrmSigningKeyStore } from './signing-key.store.js';
import { WellKnownController } from './well-known.controller.js';

/**
 * Signing keys: the keyring (which key signs, which are published), their lifecycle
 * (pending → active → retiring → retired, or revoked) and its scheduler, the JWKS and discovery
 * documents under `/.well-known`, and `/admin/keys`.
 */
@Module({
  // Every key change is announced (and a revoked kid published) through the revocation outbox.
  imports: [AuthRevocationModule],
  controllers: [WellKnownController, KeysAdminController],
  // KeyringKeySource (the verifier's view of the keyring) is wired with the verifier in auth.module.ts.
  providers: [{ provide: SigningKeyStore, useClass: TypeOrmSigningKeyStore }, Keyring, KeyLifecycle, KeyScheduler, KeyMetrics],
  exports: [Keyring, KeyLifecycle],
})
export class KeysModule {}
