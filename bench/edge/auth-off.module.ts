import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type AppDefinition, PlatformModule } from '@authmesh/platform';
import { WhoamiController } from '@authmesh/token-verifier';
import { type OrdersConfig, ordersApp } from '../../apps/orders/src/orders.app.js';
import { ordersEntities, ordersMigrations } from '../../apps/orders/src/orders/orders.module.js';
import { AssumedPrincipalGuard } from './assumed-principal.guard.js';

/**
 * Bench only: orders' `GET /whoami` with authentication off. The same platform module (logging,
 * request ids, metrics, database, Redis) and the same WhoamiController as orders, with
 * AssumedPrincipalGuard where TokenVerifierModule would put JwtAuthGuard. It lives under bench/
 * so that no app can be configured to run without authentication.
 */
@Module({})
export class EdgeAuthOffModule {
  static forRoot(config: OrdersConfig): DynamicModule {
    return {
      module: EdgeAuthOffModule,
      imports: [PlatformModule.forRoot({ config, database: { entities: [...ordersEntities], migrations: [...ordersMigrations] } })],
      controllers: [WhoamiController],
      providers: [{ provide: APP_GUARD, useClass: AssumedPrincipalGuard }],
    };
  }
}

/** orders' definition (its configuration, its OpenAPI) with the auth-off root module. */
export const edgeAuthOffApp: AppDefinition<OrdersConfig> = {
  ...ordersApp,
  rootModule: (config) => EdgeAuthOffModule.forRoot(config),
};
