import fastifyCookie from '@fastify/cookie';
import type { AppDefinition } from '@authmesh/platform';
import { AuthModule } from './auth.module.js';
import { AUTH_OPENAPI } from './auth.openapi.js';
import { type AuthConfig, loadAuthConfig } from './config/auth.config.js';
import { trustProvenForwardedFor } from './accounts/forwarded-client.js';

export const authApp: AppDefinition<AuthConfig> = {
  name: 'auth',
  loadConfig: loadAuthConfig,
  rootModule: (config) => AuthModule.forRoot(config),
  async configure(app, config) {
    // The hosted login's SSO and CSRF cookies (apps/auth/src/authorize).
    await app.register(fastifyCookie);
    // X-Forwarded-For from the gateway, believed only with its proof (AUTH_PROXY_SECRET).
    if (config.auth.proxySecret) trustProvenForwardedFor(app.getHttpAdapter().getInstance(), config.auth.proxySecret);
  },
  openapi: AUTH_OPENAPI,
};
