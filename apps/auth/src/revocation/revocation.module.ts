import { Module } from '@nestjs/common';
import { RevocationOutbox } from './revocation-outbox.service.js';
import { REVOCATION_STORE, revocationStoreProvider } from './revocation-store.provider.js';
import { RevocationsAdminController } from './revocations-admin.controller.js';
import { SessionRevoker } from './session-revoker.service.js';

/**
 * Revoking what auth issued: the transactional outbox that publishes to the Redis blocklist, the
 * session revoker (tokens, refresh families, subjects, exchanged-token links) and
 * `POST /admin/revocations`. Named apart from `@authmesh/revocation`'s RevocationModule, which is
 * the verifiers' side (see RevocationMirrorModule).
 */
@Module({
  controllers: [RevocationsAdminController],
  providers: [revocationStoreProvider, RevocationOutbox, SessionRevoker],
  exports: [REVOCATION_STORE, RevocationOutbox, SessionRevoker],
})
export class AuthRevocationModule {}
