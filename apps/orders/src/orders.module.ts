import { type DynamicModule, Module } from '@nestjs/common';
import { type BaseConfig, PlatformModule } from '@authmesh/platform';

@Module({})
export class OrdersModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })],
    };
  }
}
