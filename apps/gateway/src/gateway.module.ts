import { type DynamicModule, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { MetricsService, PlatformModule, ReadinessRegistry, RedisConnection } from '@authmesh/platform';
import { MirrorRevocationChecker, RevocationModule } from '@authmesh/revocation';
import { JwksCache, VerifierMetrics } from '@authmesh/token-verifier';
import { AuthClient } from './auth-client/auth-client.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { EdgeAccess } from './edge/edge-access.js';
import { EdgeVerifier } from './edge/edge-verifier.js';
import { JwksLifecycle } from './edge/jwks-lifecycle.js';
import { TokenExchanger } from './exchange/token-exchanger.js';
import { LoginRateLimiter } from './rate-limit/login-rate-limiter.js';
import { SessionCookie } from './session/session-cookie.js';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from './session/session-store.js';
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
 * revocation mirror), BFF sessions, token exchange and login rate limits. The proxy routes, CORS
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
        RevocationModule.forRoot({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
      ],
      controllers: [SessionController],
      providers: [
        {
          provide: JwksCache,
          useFactory: () => {
            const logger = new Logger('JwksCache(gateway)');
            return new JwksCache({
              jwksUri: config.verifier.jwksUri,
              fetchTimeoutMs: config.verifier.jwksFetchTimeoutMs,
              cooldownMs: config.verifier.jwksCooldownSeconds * 1000,
              maxStalenessMs: config.verifier.jwksMaxStalenessSeconds * 1000,
              logger: { warn: (m) => logger.warn(m), info: (m) => logger.log(m) },
            });
          },
        },
        {
          provide: EdgeVerifier,
          useFactory: (jwks: JwksCache, revocation: MirrorRevocationChecker, metrics: MetricsService) => {
            const edge = new EdgeVerifier(config.verifier, jwks, revocation, config.now);
            // token_verifications_total counts every audience; the cache gauge shows the orders verifier's.
            edge.useMetrics(new VerifierMetrics(metrics, jwks, edge.verifierFor('orders')));
            return edge;
          },
          inject: [JwksCache, MirrorRevocationChecker, MetricsService],
        },
        {
          provide: JwksLifecycle,
          useFactory: (jwks: JwksCache, readiness: ReadinessRegistry) => new JwksLifecycle(jwks, readiness, config.verifier),
          inject: [JwksCache, ReadinessRegistry],
        },
        {
          provide: AuthClient,
          useFactory: () =>
            new AuthClient({
              authUrl: settings.authUrl,
              timeoutMs: settings.upstreamTimeoutMs,
              userClientId: settings.userClientId,
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
        {
          provide: TokenExchanger,
          useFactory: (auth: AuthClient) => new TokenExchanger(auth, { now: config.now }),
          inject: [AuthClient],
        },
        {
          provide: LoginRateLimiter,
          useFactory: (redis: RedisConnection) => new LoginRateLimiter(redis, settings),
          inject: [RedisConnection],
        },
        {
          provide: EdgeAccess,
          useFactory: (verifier: EdgeVerifier, sessions: SessionService, exchanger: TokenExchanger) =>
            new EdgeAccess(verifier, sessions, exchanger, settings),
          inject: [EdgeVerifier, SessionService, TokenExchanger],
        },
      ],
    };
  }
}
