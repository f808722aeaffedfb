import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule } from '@authmesh/platform';
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
import { RefreshFamilyEntity, RefreshTokenEntity } from './tokens/refresh-token.entity.js';
import { RefreshTokensService } from './tokens/refresh-tokens.service.js';
import { AddressRateLimitGuard } from './users/address-rate-limit.guard.js';
import { AuthController } from './users/auth.controller.js';
import { LoginLimiter } from './users/login-limiter.js';
import { LoginService } from './users/login.service.js';
import { UserEntity } from './users/user.entity.js';
import { UsersService } from './users/users.service.js';

const ENTITIES = [UserEntity, ClientEntity, SigningKeyEntity, RefreshFamilyEntity, RefreshTokenEntity];

@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: ENTITIES, migrations: [InitialSchema1764000000000] } }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      controllers: [WellKnownController, AuthController, OAuthController],
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
        ClientsService,
        ClientAuthenticator,
        TokenEndpoint,
        Seeder,
      ],
    };
  }
}
