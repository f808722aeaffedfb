import type { AppDefinition } from '@authmesh/platform';
import { AuthModule } from './auth.module.js';
import { type AuthConfig, loadAuthConfig } from './config/auth.config.js';

export const authApp: AppDefinition<AuthConfig> = {
  name: 'auth',
  loadConfig: loadAuthConfig,
  rootModule: (config) => AuthModule.forRoot(config),
};
