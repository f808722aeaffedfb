import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { USERINFO_AUDIENCE } from '@authmesh/contracts';
import { PlatformModule } from '@authmesh/platform';
import { MirrorRevocationChecker } from '@authmesh/revocation';
import { TokenVerifierModule } from '@authmesh/token-verifier';
import { EmailVerificationTokenEntity } from './accounts/email-verification-token.entity.js';
import { AccountsModule } from './accounts/accounts.module.js';
import { UnlockTokenEntity } from './accounts/unlock-token.entity.js';
import { UserEntity } from './accounts/user.entity.js';
import { ClientEntity } from './clients/client.entity.js';
import { ClientsModule } from './clients/clients.module.js';
import type { AuthConfig } from './config/auth.config.js';
import { KeyringKeySource } from './keys/keyring-key-source.js';
import { KeysModule } from './keys/keys.module.js';
import { SigningKeyEventEntity } from './keys/signing-key-event.entity.js';
import { SigningKeyEntity } from './keys/signing-key.entity.js';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { RevocationOutbox1764000000001 } from './migrations/1764000000001-revocation-outbox.js';
import { ClientGrantTypes1764000000002 } from './migrations/1764000000002-client-grant-types.js';
import { KeyLifecycle1764000000003 } from './migrations/1764000000003-key-lifecycle.js';
import { ExchangedTokens1764000000004 } from './migrations/1764000000004-exchanged-tokens.js';
import { EmailVerification1764000000030 } from './migrations/1764000000030-email-verification.js';
import { UnlockTokens1764000000040 } from './migrations/1764000000040-unlock-tokens.js';
import { RevocationLedger1764000000050 } from './migrations/1764000000050-revocation-ledger.js';
import { RevocationStreamIds1764000000060 } from './migrations/1764000000060-revocation-stream-ids.js';
import { ClientJwks1764000000070 } from './migrations/1764000000070-client-jwks.js';
import { AuthorizationCodeFlow1764000000080 } from './migrations/1764000000080-authorization-code-flow.js';
import { DpopBinding1764000000090 } from './migrations/1764000000090-dpop-binding.js';
import { ApiKeys1764000000100 } from './migrations/1764000000100-api-keys.js';
import { ApiKeyEntity } from './api-keys/api-key.entity.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { AuthorizationCodeEntity } from './authorize/authorization-code.entity.js';
import { AuthorizeModule } from './authorize/authorize.module.js';
import { ConsentEntity } from './authorize/consent.entity.js';
import { SsoSessionEntity } from './authorize/sso-session.entity.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { ExchangedTokenEntity } from './revocation/exchanged-token.entity.js';
import { RevocationMirrorModule } from './revocation/revocation-mirror.module.js';
import { RevocationOutboxEntity } from './revocation/revocation-outbox.entity.js';
import { AuthRevocationModule } from './revocation/revocation.module.js';
import { SeedModule } from './seed/seed.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { HopGuard } from './tokens/hop.guard.js';
import { RefreshFamilyEntity, RefreshTokenEntity } from './tokens/refresh-token.entity.js';

const ENTITIES = [
  UserEntity,
  ClientEntity,
  SigningKeyEntity,
  RefreshFamilyEntity,
  RefreshTokenEntity,
  RevocationOutboxEntity,
  SigningKeyEventEntity,
  ExchangedTokenEntity,
  EmailVerificationTokenEntity,
  UnlockTokenEntity,
  AuthorizationCodeEntity,
  SsoSessionEntity,
  ConsentEntity,
  ApiKeyEntity,
];
const MIGRATIONS = [
  InitialSchema1764000000000,
  RevocationOutbox1764000000001,
  ClientGrantTypes1764000000002,
  KeyLifecycle1764000000003,
  ExchangedTokens1764000000004,
  EmailVerification1764000000030,
  UnlockTokens1764000000040,
  RevocationLedger1764000000050,
  RevocationStreamIds1764000000060,
  ClientJwks1764000000070,
  AuthorizationCodeFlow1764000000080,
  DpopBinding1764000000090,
  ApiKeys1764000000100,
];

/**
 * The auth service: one feature module per first path segment and feature (see apps/auth/README.md
 * for which folder serves which route), plus the verification of the tokens auth's own routes take.
 */
@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        PlatformModule.forRoot({
          config,
          database: { entities: ENTITIES, migrations: MIGRATIONS },
          // Past the staleness bound the mirror only refuses the tokens auth's own routes take
          // (logout, /admin); issuing, login, refresh and the JWKS need no fresh mirror. Every
          // replica shares Redis, so failing readiness on it would take all of them out of the
          // Service at once (docs/operations.md, "Outages").
          readiness: { reportOnly: ['revocation'] },
        }),
        RevocationMirrorModule.forRoot(config),
        KeysModule,
        AccountsModule,
        SessionsModule,
        OAuthModule,
        AuthorizeModule,
        ClientsModule,
        ApiKeysModule,
        AuthRevocationModule,
        SeedModule,
      ],
      providers: [
        KeyringKeySource,
        // Auth's own routes (logout, admin) take tokens for audience `auth`, verified against the
        // keyring; registered here rather than imported, as the key source needs auth's keyring.
        // Userinfo alone takes `userinfo` tokens (@RouteAudience): what every `openid` grant gets.
        ...TokenVerifierModule.providers({
          issuer: config.auth.issuer,
          audience: 'auth',
          audiences: [USERINFO_AUDIENCE],
          clockToleranceSeconds: config.auth.clockToleranceSeconds,
          keys: { useExisting: KeyringKeySource },
          revocation: { useExisting: MirrorRevocationChecker },
          // DPoP clients call userinfo and /auth/* too (RFC 9449 §7): a proof names auth where the
          // client reached it, the issuer's origin or an in-cluster one of AUTH_DPOP_TOKEN_URLS,
          // never the Host header. The replay store is the app's Redis, as at every verifier.
          dpopOrigins: [...new Set(config.auth.dpop.tokenEndpointUrls.map((u) => new URL(u).origin))],
        }),
        // Runs after JwtAuthGuard (global guards run in the order they are provided): exchanged
        // tokens are refused at auth, and auth:admin routes take tokens for audience auth alone.
        { provide: APP_GUARD, useClass: HopGuard },
      ],
    };
  }
}
