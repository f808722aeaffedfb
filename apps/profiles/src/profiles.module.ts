import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@authmesh/platform';
import { TokenVerifierModule, WhoamiController } from '@authmesh/token-verifier';
import type { ProfilesConfig } from './profiles.app.js';

@Module({})
export class ProfilesModule {
  /** Every route requires a bearer token for audience `profiles` (health and metrics are @Public()). */
  static forRoot(config: ProfilesConfig): DynamicModule {
    return {
      module: ProfilesModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        TokenVerifierModule.forRoot(config.verifier),
      ],
      controllers: [WhoamiController],
    };
  }
}
