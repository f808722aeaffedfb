import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import type { AppDefinition } from '@authmesh/platform';
import { type GatewayConfig, loadGatewayConfig } from './config/gateway.config.js';
import { corsOptions } from './cors/cors-options.js';
import { EdgeAccess } from './edge/edge-access.js';
import { sendError } from './errors/send-error.js';
import { GatewayModule } from './gateway.module.js';
import { GATEWAY_OPENAPI } from './gateway.openapi.js';
import { proxyPlugin } from './proxy/proxy.plugin.js';
import { gatewayRoutes } from './proxy/routes.js';
import { LoginRateLimiter, limitedPathOf } from './rate-limit/login-rate-limiter.js';
import { SessionCookie } from './session/session-cookie.js';
import { webAppPlugin } from './web/web-app.plugin.js';

export const gatewayApp: AppDefinition<GatewayConfig> = {
  name: 'gateway',
  loadConfig: (env) => loadGatewayConfig(env),
  rootModule: (config) => GatewayModule.forRoot(config),
  openapi: GATEWAY_OPENAPI,
  async configure(app, config) {
    const fastify = app.getHttpAdapter().getInstance();
    // Order matters: CORS first, so a preflight is answered before any limit or credential check
    // (browsers send no credentials on preflights) and refusals still carry CORS headers.
    await app.register(fastifyCors, corsOptions(config.gateway));
    await app.register(fastifyCookie);

    const limiter = app.get(LoginRateLimiter);
    fastify.addHook('onRequest', async (request, reply) => {
      const path = limitedPathOf(request.url);
      if (!limiter.applies(request.method, path)) return;
      try {
        await limiter.take(request.method, path, request.ip);
      } catch (e) {
        return sendError(request, reply, e);
      }
    });

    const cookie = app.get(SessionCookie);
    await app.register(proxyPlugin, {
      routes: gatewayRoutes(config.gateway),
      access: app.get<EdgeAccess>(EdgeAccess),
      upstreamTimeoutMs: config.gateway.upstreamTimeoutMs,
      publicOrigin: config.gateway.publicOrigin,
      sessionCookieName: cookie.name,
      clearSessionCookie: (reply) => cookie.clear(reply),
      proxySecret: config.gateway.proxySecret,
    });
    await app.register(webAppPlugin, { authPublicUrl: config.gateway.authPublicUrl, publicOrigin: config.gateway.publicOrigin });
  },
};
