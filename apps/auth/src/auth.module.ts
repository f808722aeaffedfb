import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule } from '@authmesh/platform';
import { MirrorRevocationChecker, RevocationModule } from '@authmesh/revocation';
import { TokenVerifierModule } from '@authmesh/token-verifier';
import { accountMessageSenderProvider } from './accounts/account-messages.provider.js';
import { EmailVerificationTokenEntity } from './accounts/email-verification-token.entity.js';
import { RegistrationService } from './accounts/registration.service.js';
import { UnlockTokenEntity } from './accounts/unlock-token.entity.js';
import { UnlockService } from './accounts/unlock.service.js';
import { AdminController } from './admin/admin.controller.js';
import { AdminTokenController } from './admin-token/admin-token.controller.js';
import { AdminTokenService } from './admin-token/admin-token.service.js';
import { ClientsAdminController } from './admin/clients-admin.controller.js';
import { KeysAdminController } from './admin/keys-admin.controller.js';
import { KeyLifecycle } from './keys/key-lifecycle.service.js';
import { KeyScheduler } from './keys/key-scheduler.js';
import { KeyringKeySource } from './keys/keyring-key-source.js';
import { SigningKeyEventEntity } from './keys/signing-key-event.entity.js';
import { KeyLifecycle1764000000003 } from './migrations/1764000000003-key-lifecycle.js';
import { ExchangedTokens1764000000004 } from './migrations/1764000000004-exchanged-tokens.js';
import { EmailVerification1764000000030 } from './migrations/1764000000030-email-verification.js';
import { UnlockTokens1764000000040 } from './migrations/1764000000040-unlock-tokens.js';
import { ExchangedTokenEntity } from './revocation/exchanged-token.entity.js';
import { ClientGrantTypes1764000000002 } from './migrations/1764000000002-client-grant-types.js';
import { RevocationOutbox1764000000001 } from './migrations/1764000000001-revocation-outbox.js';
import { RevocationOutboxEntity } from './revocation/revocation-outbox.entity.js';
import { RevocationOutbox } from './revocation/revocation-outbox.service.js';
import { revocationStoreProvider } from './revocation/revocation-store.provider.js';
import { SessionController } from './revocation/session.controller.js';
import { SessionRevoker } from './revocation/session-revoker.service.js';
import { PresentedTokenGuesses } from './revocation/presented-token-guesses.js';
import { ClientEntity } from './clients/client.entity.js';
import { ClientsService } from './clients/clients.service.js';
import type { AuthConfig } from './config/auth.config.js';
import { SecretHasher } from './crypto/secrets.js';
import { Keyring } from './keys/keyring.service.js';
import { SigningKeyEntity } from './keys/signing-key.entity.js';
import { WellKnownController } from './keys/well-known.controller.js';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema.js';
import { ClientAuthenticator } from './oauth/client-authenticator.js';
import { OAuthController } from './oauth/oauth.controller.js';
import { TokenEndpoint } from './oauth/token-endpoint.service.js';
import { Seeder } from './seed/seeder.js';
import { AccessTokenIssuer } from './tokens/access-token.issuer.js';
import { AccessTokenReader } from './tokens/access-token.reader.js';
import { HopGuard } from './tokens/hop.guard.js';
import { RefreshFamilyEntity, RefreshTokenEntity } from './tokens/refresh-token.entity.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';
import { AddressRateLimitGuard } from './users/address-rate-limit.guard.js';
import { AuthController } from './users/auth.controller.js';
import { LoginLimiter } from './users/login-limiter.js';
import { LoginService } from './users/login.service.js';
import { UserEntity } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

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
];
const MIGRATIONS = [
  InitialSchema1764000000000,
  RevocationOutbox1764000000001,
  ClientGrantTypes1764000000002,
  KeyLifecycle1764000000003,
  ExchangedTokens1764000000004,
  EmailVerification1764000000030,
  UnlockTokens1764000000040,
];

@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: ENTITIES, migrations: MIGRATIONS } }),
        TypeOrmModule.forFeature(ENTITIES),
        RevocationModule.forRoot({ ...config.revocation, clockToleranceSeconds: config.auth.clockToleranceSeconds }),
      ],
      controllers: [
        WellKnownController,
        AuthController,
        OAuthController,
        SessionController,
        AdminTokenController,
        AdminController,
        ClientsAdminController,
        KeysAdminController,
      ],
      providers: [
        SecretHasher,
        Keyring,
        AccessTokenIssuer,
        AccessTokenReader,
        RefreshTokensService,
        UsersService,
        LoginLimiter,
        AddressRateLimitGuard,
        LoginService,
        RegistrationService,
        UnlockService,
        accountMessageSenderProvider(config),
        AdminTokenService,
        ClientsService,
        ClientAuthenticator,
        TokenEndpoint,
        Seeder,
        KeyLifecycle,
        KeyScheduler,
        revocationStoreProvider(config),
        RevocationOutbox,
        SessionRevoker,
        PresentedTokenGuesses,
        KeyringKeySource,
        // Auth's own routes (logout, admin) take tokens for audience `auth`, verified against the
        // keyring; registered here rather than imported, as the key source needs auth's keyring.
        ...TokenVerifierModule.providers({
          issuer: config.auth.issuer,
          audience: 'auth',
          clockToleranceSeconds: config.auth.clockToleranceSeconds,
          keys: { useExisting: KeyringKeySource },
          revocation: { useExisting: MirrorRevocationChecker },
        }),
        // Runs after JwtAuthGuard (global guards run in the order they are provided): exchanged
        // tokens are refused at auth, and auth:admin routes take tokens for audience auth alone.
        { provide: APP_GUARD, useClass: HopGuard },
      ],
    };
  }
}
