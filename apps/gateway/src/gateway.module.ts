import { type DynamicModule, Module } from '@nestjs/common';
import { type BaseConfig, PlatformModule } from '@authmesh/platform';

@Module({})
export class GatewayModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })],
    };
  }
}
