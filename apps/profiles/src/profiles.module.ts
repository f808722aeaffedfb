import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@authmesh/platform';
import { RevocationModule } from '@authmesh/revocation';
import { TokenVerifierModule, WhoamiController } from '@authmesh/token-verifier';
import type { ProfilesConfig } from './profiles.app.js';
import { ProfilesApiModule, profilesEntities, profilesMigrations } from './profiles/profiles.module.js';

@Module({})
export class ProfilesModule {
  /** Every route requires a non-revoked bearer token for audience `profiles` (health and metrics are @Public()). */
  static forRoot(config: ProfilesConfig): DynamicModule {
    return {
      module: ProfilesModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [...profilesEntities], migrations: [...profilesMigrations] } }),
        TokenVerifierModule.forRoot({
          ...config.verifier,
          // jti and subject revocations checked on every request against a local mirror of the blocklist.
          ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
        }),
        ProfilesApiModule.forRoot(config.profiles),
      ],
      controllers: [WhoamiController],
    };
  }
}
