import { type DynamicModule, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MetricsService, PlatformModule, RedisConnection } from '@authmesh/platform';
import { ApiKeyAccess } from './api-keys/api-key-access.js';
import { RevocationModule } from '@authmesh/revocation';
import { DpopKey } from '@authmesh/service-auth';
import { TokenVerifierModule, TokenVerifiers, VerifierMetrics } from '@authmesh/token-verifier';
import { AuthClient } from './auth-client/auth-client.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { EdgeAccess } from './edge/edge-access.js';
import { EDGE_AUDIENCES, EdgeVerifier } from './edge/edge-verifier.js';
import { TokenExchanger } from './exchange/token-exchanger.js';
import { LoginRateLimiter } from './rate-limit/login-rate-limiter.js';
import { SessionCookie } from './session/session-cookie.js';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from './session/session-store.js';
import { LoginCookie } from './session/login-cookie.js';
import { AuthRelyingParty } from './session/oidc/auth-relying-party.js';
import { PendingLogins } from './session/pending-login.js';
import { SessionController } from './session/session.controller.js';
import { SessionService } from './session/session.service.js';

/** Injection token of the session store. */
export const SESSION_STORE = Symbol('SESSION_STORE');

/** Closes the keep-alive pool to auth with the app. */
class AuthClientLifecycle implements OnApplicationShutdown {
  constructor(private readonly client: AuthClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The gateway: edge verification (one verifier per routed audience over one JWKS cache and the
 * revocation mirror), BFF sessions (an OpenID Connect relying party of auth: AuthRelyingParty),
 * token exchange and login rate limits. The proxy routes, CORS
 * and cookies are Fastify plugins registered by `gatewayApp.configure`.
 */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const settings = config.gateway;
    return {
      module: GatewayModule,
      imports: [
        // The gateway keeps no data of its own in Postgres; the platform's database connection
        // backs /health/ready like every service's (and stays unused).
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        // The edge's verifiers: one per routed audience over one JWKS cache and the revocation
        // mirror, with the services' JWKS lifecycle and readiness check; no global guard (the
        // proxy routes are raw Fastify). The metrics' cache gauge shows the orders verifier's.
        TokenVerifierModule.forRoot({
          ...config.verifier,
          name: 'gateway',
          audience: 'orders',
          audiences: EDGE_AUDIENCES,
          guard: false,
          now: config.now,
          // DPoP proofs at the edge name the URL the client addressed: the gateway's public origin
          // (and any other origin listed in JWT_DPOP_ORIGINS), never one taken from Host.
          dpopOrigins: [...settings.publicOrigins, ...config.verifier.dpopOrigins],
          ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
        }),
      ],
      controllers: [SessionController],
      providers: [
        {
          provide: EdgeVerifier,
          // token_verifications_total counts every audience.
          useFactory: (verifiers: TokenVerifiers, metrics: VerifierMetrics) => new EdgeVerifier(verifiers, metrics),
          inject: [TokenVerifiers, VerifierMetrics],
        },
        {
          provide: AuthClient,
          useFactory: () =>
            new AuthClient({
              authUrl: settings.authUrl,
              timeoutMs: settings.upstreamTimeoutMs,
              clientId: settings.clientId,
              clientSecret: settings.clientSecret,
              proxySecret: settings.proxySecret,
            }),
        },
        { provide: AuthClientLifecycle, useFactory: (c: AuthClient) => new AuthClientLifecycle(c), inject: [AuthClient] },
        {
          provide: SESSION_STORE,
          useFactory: (redis: RedisConnection): SessionStore => {
            if (redis.client) return new RedisSessionStore(redis.client, settings.redisKeyPrefix);
            new Logger('Sessions').warn(
              'REDIS_URL=memory:// — sessions and rate limits live in this process only; valid for ONE gateway process (npm start), never for replicas',
            );
            return new MemorySessionStore();
          },
          inject: [RedisConnection],
        },
        {
          provide: SessionService,
          useFactory: (store: SessionStore, auth: AuthClient) => new SessionService(store, auth, { settings, now: config.now }),
          inject: [SESSION_STORE, AuthClient],
        },
        { provide: SessionCookie, useFactory: () => new SessionCookie(settings) },
        { provide: LoginCookie, useFactory: () => new LoginCookie(settings) },
        { provide: AuthRelyingParty, useFactory: () => new AuthRelyingParty(settings, config.now) },
        {
          provide: PendingLogins,
          useFactory: (store: SessionStore) => new PendingLogins(store, settings.loginTtlSeconds),
          inject: [SESSION_STORE],
        },
        // One key per process, made at start-up, non-extractable, never stored: internal tokens of
        // DPoP requests are bound to it (docs/decisions/010-dpop-gateway-and-replay.md).
        { provide: DpopKey, useFactory: () => DpopKey.generate('ES256', config.now) },
        {
          provide: TokenExchanger,
          useFactory: (auth: AuthClient, dpopKey: DpopKey) => new TokenExchanger(auth, { now: config.now, dpopKey }),
          inject: [AuthClient, DpopKey],
        },
        {
          provide: LoginRateLimiter,
          useFactory: (redis: RedisConnection) => new LoginRateLimiter(redis, settings),
          inject: [RedisConnection],
        },
        {
          provide: ApiKeyAccess,
          useFactory: (
            auth: AuthClient,
            exchanger: TokenExchanger,
            verifier: EdgeVerifier,
            redis: RedisConnection,
            metrics: MetricsService,
          ) => new ApiKeyAccess(auth, exchanger, verifier, redis, settings, metrics.registry),
          inject: [AuthClient, TokenExchanger, EdgeVerifier, RedisConnection, MetricsService],
        },
        {
          provide: EdgeAccess,
          useFactory: (
            verifier: EdgeVerifier,
            sessions: SessionService,
            exchanger: TokenExchanger,
            dpopKey: DpopKey,
            apiKeys: ApiKeyAccess,
          ) => new EdgeAccess(verifier, sessions, exchanger, settings, dpopKey, apiKeys),
          inject: [EdgeVerifier, SessionService, TokenExchanger, DpopKey, ApiKeyAccess],
        },
      ],
    };
  }
}
