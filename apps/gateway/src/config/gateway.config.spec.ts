import { ConfigError } from '@authmesh/platform';
import { loadGatewayConfig } from './gateway.config.js';

const valid = {
  GATEWAY_CLIENT_SECRET: 'gateway-secret',
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
      authIssuer: 'http://127.0.0.1:3001',
      authPublicUrl: 'http://127.0.0.1:3001',
      authAllowHttp: false,
      loginScope: 'openid orders:read orders:write profiles:read profiles:write',
      loginTtlSeconds: 600,
      ordersUrl: 'http://127.0.0.1:3002',
      profilesUrl: 'http://127.0.0.1:3003',
      clientId: 'gateway',
      clientSecret: 'gateway-secret',
      forwardUnchangedRoutes: [],
      upstreamTimeoutMs: 10_000,
      corsOrigins: [],
      publicOrigin: 'http://127.0.0.1:3000',
      publicOrigins: ['http://127.0.0.1:3000', 'http://localhost:3000'],
      sessionCookieName: 'authmesh_session',
      loginCookieName: 'authmesh_login',
      sessionIdleSeconds: 1800,
      sessionAbsoluteSeconds: 43_200,
      sessionRefreshBeforeSeconds: 30,
      loginRatePerMinute: 20,
      secretRatePerMinute: 60,
      apiKeyRatePerMinute: 600,
      apiKeyFailuresPerMinute: 20,
      redisKeyPrefix: 'gateway:',
    });
  });

  it('names the session cookie __Host-authmesh_session when the public origin is https', () => {
    expect(loadGatewayConfig({ ...valid, GATEWAY_PUBLIC_ORIGIN: 'https://shop.example' }).gateway.sessionCookieName).toBe(
      '__Host-authmesh_session',
    );
  });

  it('requires AUTH_URL, ORDERS_URL and PROFILES_URL, naming each', () => {
    const problems = problemsOf({
      DATABASE_URL: valid.DATABASE_URL,
      REDIS_URL: valid.REDIS_URL,
      AUTH_ISSUER: valid.AUTH_ISSUER,
      GATEWAY_CLIENT_SECRET: valid.GATEWAY_CLIENT_SECRET,
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['AUTH_URL', 'ORDERS_URL', 'PROFILES_URL']);
  });

  it('requires GATEWAY_CLIENT_SECRET: the gateway is a confidential client (browser logins, refresh, exchange)', () => {
    const { GATEWAY_CLIENT_SECRET: _secret, ...noSecret } = valid;
    expect(problemsOf(noSecret)).toEqual([expect.stringMatching(/^GATEWAY_CLIENT_SECRET: /)]);
    expect(problemsOf({ ...noSecret, GATEWAY_FORWARD_UNCHANGED_ROUTES: 'orders profiles' })).toEqual([
      expect.stringMatching(/^GATEWAY_CLIENT_SECRET: /),
    ]);
    const all = loadGatewayConfig({ ...valid, GATEWAY_FORWARD_UNCHANGED_ROUTES: 'orders, profiles orders' });
    expect(all.gateway.forwardUnchangedRoutes).toEqual(['orders', 'profiles']);
  });

  it('refuses http:// auth URLs off loopback unless GATEWAY_AUTH_ALLOW_HTTP says so (tokens and codes cross them)', () => {
    const remote = {
      ...valid,
      AUTH_ISSUER: 'http://auth.internal',
      AUTH_URL: 'http://auth.internal',
      GATEWAY_AUTH_PUBLIC_URL: 'http://login.example',
    };
    expect(problemsOf(remote).map((p) => p.split(':')[0])).toEqual(['AUTH_ISSUER', 'AUTH_URL', 'GATEWAY_AUTH_PUBLIC_URL']);
    expect(loadGatewayConfig({ ...remote, GATEWAY_AUTH_ALLOW_HTTP: 'true' }).gateway).toMatchObject({
      authIssuer: 'http://auth.internal',
      authPublicUrl: 'http://login.example',
      authAllowHttp: true,
    });
    // https anywhere, and http on loopback (localhost, 127.0.0.0/8, [::1]), need no setting.
    expect(
      loadGatewayConfig({ ...valid, AUTH_ISSUER: 'https://auth.example', GATEWAY_AUTH_PUBLIC_URL: 'http://localhost:3001/' }).gateway
        .authPublicUrl,
    ).toBe('http://localhost:3001');
  });

  it('always asks for openid, and stops on the removed GATEWAY_USER_CLIENT_ID', () => {
    expect(loadGatewayConfig({ ...valid, GATEWAY_LOGIN_SCOPE: 'orders:read' }).gateway.loginScope).toBe('openid orders:read');
    expect(problemsOf({ ...valid, GATEWAY_USER_CLIENT_ID: 'authmesh' })).toEqual([
      expect.stringMatching(/^GATEWAY_USER_CLIENT_ID: was removed/),
    ]);
  });

  it('names the login cookie __Host-authmesh_login when the public origin is https', () => {
    expect(loadGatewayConfig({ ...valid, GATEWAY_PUBLIC_ORIGIN: 'https://shop.example' }).gateway.loginCookieName).toBe(
      '__Host-authmesh_login',
    );
  });

  it('reports a bad PORT as PORT, not as an unparsable default origin', () => {
    expect(problemsOf({ ...valid, PORT: 'abc' })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('stops on the removed GATEWAY_EXCHANGE_ROUTES, naming what replaced it', () => {
    expect(problemsOf({ ...valid, GATEWAY_EXCHANGE_ROUTES: 'orders' })).toEqual([
      expect.stringMatching(/^GATEWAY_EXCHANGE_ROUTES: was removed.*GATEWAY_FORWARD_UNCHANGED_ROUTES/),
    ]);
  });

  it('accepts both loopback spellings only for a default loopback origin; an explicit origin is taken literally', () => {
    expect(loadGatewayConfig({ ...valid, HOST: 'localhost', PORT: '8080' }).gateway.publicOrigins).toEqual([
      'http://localhost:8080',
      'http://127.0.0.1:8080',
    ]);
    expect(loadGatewayConfig({ ...valid, HOST: '10.0.0.5' }).gateway.publicOrigins).toEqual(['http://10.0.0.5:3000']);
    expect(loadGatewayConfig({ ...valid, GATEWAY_PUBLIC_ORIGIN: 'http://127.0.0.1:3000' }).gateway.publicOrigins).toEqual([
      'http://127.0.0.1:3000',
    ]);
  });

  it('rejects an unknown exchange route, a non-origin CORS entry and a bad public origin, all at once', () => {
    const problems = problemsOf({
      ...valid,
      GATEWAY_FORWARD_UNCHANGED_ROUTES: 'auth',
      GATEWAY_CLIENT_SECRET: 'x',
      GATEWAY_CORS_ORIGINS: 'https://ok.example https://bad.example/path',
      GATEWAY_PUBLIC_ORIGIN: 'shop.example',
      GATEWAY_SESSION_IDLE_S: '0',
      GATEWAY_LOGIN_RATE_PER_MIN: 'many',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'GATEWAY_CORS_ORIGINS',
        'GATEWAY_FORWARD_UNCHANGED_ROUTES',
        'GATEWAY_LOGIN_RATE_PER_MIN',
        'GATEWAY_PUBLIC_ORIGIN',
        'GATEWAY_SESSION_IDLE_S',
      ].sort(),
    );
  });
});
