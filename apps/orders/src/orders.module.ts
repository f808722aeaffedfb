import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@authmesh/platform';
import { RevocationModule } from '@authmesh/revocation';
import { TokenVerifierModule, WhoamiController } from '@authmesh/token-verifier';
import type { OrdersConfig } from './orders.app.js';
import { OrdersApiModule, ordersEntities, ordersMigrations } from './orders/orders.module.js';

@Module({})
export class OrdersModule {
  /** Every route requires a non-revoked bearer token for audience `orders` (health and metrics are @Public()). */
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [...ordersEntities], migrations: [...ordersMigrations] } }),
        TokenVerifierModule.forRoot({
          ...config.verifier,
          // jti and subject revocations checked on every request against a local mirror of the blocklist.
          ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
        }),
        OrdersApiModule.forRoot(config.profilesClient),
      ],
      controllers: [WhoamiController],
    };
  }
}
