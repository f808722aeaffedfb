import { type AppDefinition, type BaseConfig, loadBaseConfig } from '@authmesh/platform';
import { GatewayModule } from './gateway.module.js';

export const gatewayApp: AppDefinition<BaseConfig> = {
  name: 'gateway',
  loadConfig: (env) => loadBaseConfig('gateway', env),
  rootModule: (config) => GatewayModule.forRoot(config),
};
