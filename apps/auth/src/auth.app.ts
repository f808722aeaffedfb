import { type AppDefinition, type BaseConfig, loadBaseConfig } from '@authmesh/platform';
import { AuthModule } from './auth.module.js';

export const authApp: AppDefinition<BaseConfig> = {
  name: 'auth',
  loadConfig: (env) => loadBaseConfig('auth', env),
  rootModule: (config) => AuthModule.forRoot(config),
};
