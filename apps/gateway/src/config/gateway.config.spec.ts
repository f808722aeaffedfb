import { ConfigError } from '@authmesh/platform';
import { loadGatewayConfig } from './gateway.config.js';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_ISSUER: 'http://127.0.0.1:3001',
  AUTH_URL: 'http://127.0.0.1:3001',
  ORDERS_URL: 'http://127.0.0.1:3002',
  PROFILES_URL: 'http://127.0.0.1:3003/',
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadGatewayConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('gateway configuration', () => {
  it('applies the documented defaults', () => {
    const { gateway } = loadGatewayConfig(valid);
    expect(gateway).toEqual({
      authUrl: 'http://127.0.0.1:3001',
      ordersUrl: 'http://127.0.0.1:3002',
      profilesUrl: 'http://127.0.0.1:3003',
      clientId: 'gateway',
      clientSecret: undefined,
      exchangeRoutes: [],
      upstreamTimeoutMs: 10_000,
      corsOrigins: [],
      publicOrigin: 'http://127.0.0.1:3000',
      sessionCookieName: 'authmesh_session',
      sessionIdleSeconds: 1800,
      sessionAbsoluteSeconds: 43_200,
      sessionRefreshBeforeSeconds: 30,
      loginRatePerMinute: 20,
      secretRatePerMinute: 60,
      userClientId: 'authmesh',
      redisKeyPrefix: 'gateway:',
    });
  });

  it('names the session cookie __Host-authmesh_session when the public origin is https', () => {
    expect(loadGatewayConfig({ ...valid, GATEWAY_PUBLIC_ORIGIN: 'https://shop.example' }).gateway.sessionCookieName).toBe(
      '__Host-authmesh_session',
    );
  });

  it('requires AUTH_URL, ORDERS_URL and PROFILES_URL, naming each', () => {
    const problems = problemsOf({ DATABASE_URL: valid.DATABASE_URL, REDIS_URL: valid.REDIS_URL, AUTH_ISSUER: valid.AUTH_ISSUER });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['AUTH_URL', 'ORDERS_URL', 'PROFILES_URL']);
  });

  it('requires GATEWAY_CLIENT_SECRET only when a route is exchanged', () => {
    expect(problemsOf({ ...valid, GATEWAY_EXCHANGE_ROUTES: 'orders' })).toEqual([
      expect.stringMatching(/^GATEWAY_CLIENT_SECRET: is required when/),
    ]);
    const ok = loadGatewayConfig({ ...valid, GATEWAY_EXCHANGE_ROUTES: 'orders, profiles orders', GATEWAY_CLIENT_SECRET: 's3cret' });
    expect(ok.gateway.exchangeRoutes).toEqual(['orders', 'profiles']);
  });

  it('rejects an unknown exchange route, a non-origin CORS entry and a bad public origin, all at once', () => {
    const problems = problemsOf({
      ...valid,
      GATEWAY_EXCHANGE_ROUTES: 'auth',
      GATEWAY_CLIENT_SECRET: 'x',
      GATEWAY_CORS_ORIGINS: 'https://ok.example https://bad.example/path',
      GATEWAY_PUBLIC_ORIGIN: 'shop.example',
      GATEWAY_SESSION_IDLE_S: '0',
      GATEWAY_LOGIN_RATE_PER_MIN: 'many',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'GATEWAY_CORS_ORIGINS',
        'GATEWAY_EXCHANGE_ROUTES',
        'GATEWAY_LOGIN_RATE_PER_MIN',
        'GATEWAY_PUBLIC_ORIGIN',
        'GATEWAY_SESSION_IDLE_S',
      ].sort(),
    );
  });
});
