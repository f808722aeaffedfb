import { type DynamicModule, Module } from '@nestjs/common';
import { type BaseConfig, PlatformModule } from '@authmesh/platform';

@Module({})
export class AuthModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return {
      module: AuthModule,
      imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })],
    };
  }
}
