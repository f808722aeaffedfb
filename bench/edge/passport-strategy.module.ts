import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type AppDefinition, PlatformModule } from '@authmesh/platform';
import { RevocationModule } from '@authmesh/revocation';
import { TokenVerifierModule, WhoamiController } from '@authmesh/token-verifier';
import { AuthmeshAuthGuard, AuthmeshStrategy } from '@authmesh/token-verifier/passport';
import { type OrdersConfig, ordersApp } from '../../apps/orders/src/orders.app.js';
import { ordersEntities, ordersMigrations } from '../../apps/orders/src/orders/orders.module.js';

/**
 * Bench only: orders' `GET /whoami` guarded by `AuthGuard('authmesh')` (AuthmeshStrategy under
 * @nestjs/passport, as profiles runs) instead of orders' global JwtAuthGuard. The same
 * configuration, verifier, revocation mirror and controller as the "auth on" row, so the
 * difference between the two rows is what passport's dispatch costs.
 */
@Module({})
export class EdgePassportStrategyModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: EdgePassportStrategyModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [...ordersEntities], migrations: [...ordersMigrations] } }),
        TokenVerifierModule.forRoot({
          ...config.verifier,
          ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
          guard: false,
        }),
      ],
      controllers: [WhoamiController],
      providers: [AuthmeshStrategy, { provide: APP_GUARD, useClass: AuthmeshAuthGuard }],
    };
  }
}

/** orders' definition (its configuration, its OpenAPI) with the passport-strategy root module. */
export const edgePassportStrategyApp: AppDefinition<OrdersConfig> = {
  ...ordersApp,
  rootModule: (config) => EdgePassportStrategyModule.forRoot(config),
};
