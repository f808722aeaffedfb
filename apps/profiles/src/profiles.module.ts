import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PlatformModule } from '@authmesh/platform';
import { RevocationModule } from '@authmesh/revocation';
import { TokenVerifierModule, WhoamiController } from '@authmesh/token-verifier';
import { AuthmeshAuthGuard, AuthmeshStrategy } from '@authmesh/token-verifier/passport';
import type { ProfilesConfig } from './profiles.app.js';
import { ProfilesApiModule, profilesEntities, profilesMigrations } from './profiles/profiles.module.js';

@Module({})
export class ProfilesModule {
  /**
   * Every route requires a non-revoked bearer token for audience `profiles` (health and metrics are
   * @Public()). The worked example of `@nestjs/passport`: routes are guarded by `AuthGuard('authmesh')`
   * (as the global `AuthmeshAuthGuard`, which adds `@Public()` and `@Scopes()`), where orders uses
   * the lib's own `JwtAuthGuard`; both run the same `TokenVerifier`.
   */
  static forRoot(config: ProfilesConfig): DynamicModule {
    return {
      module: ProfilesModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [...profilesEntities], migrations: [...profilesMigrations] } }),
        TokenVerifierModule.forRoot({
          ...config.verifier,
          // jti and subject revocations checked on every request against a local mirror of the blocklist.
          ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
          guard: false,
        }),
        ProfilesApiModule.forRoot(config.profiles),
      ],
      controllers: [WhoamiController],
      providers: [AuthmeshStrategy, { provide: APP_GUARD, useClass: AuthmeshAuthGuard }],
    };
  }
}
