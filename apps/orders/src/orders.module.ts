import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@authmesh/platform';
import { TokenVerifierModule, WhoamiController } from '@authmesh/token-verifier';
import type { OrdersConfig } from './orders.app.js';

@Module({})
export class OrdersModule {
  /** Every route requires a bearer token for audience `orders` (health and metrics are @Public()). */
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        TokenVerifierModule.forRoot(config.verifier),
      ],
      controllers: [WhoamiController],
    };
  }
}
