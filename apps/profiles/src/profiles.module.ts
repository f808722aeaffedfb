import { type DynamicModule, Module } from '@nestjs/common';
import { type BaseConfig, PlatformModule } from '@authmesh/platform';

@Module({})
export class ProfilesModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return {
      module: ProfilesModule,
      imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })],
    };
  }
}
