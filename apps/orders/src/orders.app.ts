import { type AppDefinition, type BaseConfig, EnvReader, readBaseConfig } from '@authmesh/platform';
import { type VerifierConfig, readVerifierConfig } from '@authmesh/token-verifier';
import { OrdersModule } from './orders.module.js';

export interface OrdersConfig extends BaseConfig {
  verifier: VerifierConfig;
}

export const ordersApp: AppDefinition<OrdersConfig> = {
  name: 'orders',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('orders', reader, env);
    const verifier = readVerifierConfig(reader, 'orders');
    reader.finish('orders');
    return { ...base, verifier };
  },
  rootModule: (config) => OrdersModule.forRoot(config),
};
