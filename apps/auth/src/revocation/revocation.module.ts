import { Module } from '@nestjs/common';
import { RevocationLedgerPurger } from './revocation-ledger-purger.service.js';
import { RevocationLedger } from './revocation-ledger.repository.js';
import { RevocationOutbox } from './revocation-outbox.service.js';
import { RevocationReseeder } from './revocation-reseeder.service.js';
import { REVOCATION_STORE, revocationStoreProvider } from './revocation-store.provider.js';
import { RevocationsAdminController } from './revocations-admin.controller.js';
import { SessionRevoker } from './session-revoker.service.js';

/**
 * Revoking what auth issued: the revocation ledger (Postgres) with its outbox delivery to the Redis
 * blocklist, its purge and the re-seed of a Redis that lost its data, the session revoker (tokens,
 * refresh families, subjects, exchanged-token links) and
 * `POST /admin/revocations`. Named apart from `@authmesh/revocation`'s RevocationModule, which is
 * the verifiers' side (see RevocationMirrorModule).
 */
@Module({
  controllers: [RevocationsAdminController],
  providers: [revocationStoreProvider, RevocationLedger, RevocationOutbox, RevocationLedgerPurger, RevocationReseeder, SessionRevoker],
  exports: [REVOCATION_STORE, RevocationOutbox, SessionRevoker],
})
export class AuthRevocationModule {}
