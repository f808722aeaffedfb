import { type AppDefinition, type BaseConfig, loadBaseConfig } from '@authmesh/platform';
import { OrdersModule } from './orders.module.js';

export const ordersApp: AppDefinition<BaseConfig> = {
  name: 'orders',
  loadConfig: (env) => loadBaseConfig('orders', env),
  rootModule: (config) => OrdersModule.forRoot(config),
};
