import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { AccessTokenIssuer } from './access-token.issuer.js';
import { AccessTokenReader } from './access-token.reader.js';
import { IdTokenIssuer } from './id-token.issuer.js';
import { RefreshTokensService } from './refresh-tokens.service.js';

/**
 * What auth issues: access tokens (signed with the keyring's current key, read back for
 * introspection and exchange), OpenID Connect ID tokens and rotating refresh tokens. No routes: login, `/oauth/token` and
 * `/auth/admin-token` hand these out. HopGuard and the privileged-scope rules live here too but
 * are wired globally in auth.module.ts (guard order matters there).
 */
@Module({
  imports: [KeysModule, AuthRevocationModule],
  providers: [AccessTokenIssuer, AccessTokenReader, IdTokenIssuer, RefreshTokensService],
  exports: [AccessTokenIssuer, AccessTokenReader, IdTokenIssuer, RefreshTokensService],
})
export class TokensModule {}
