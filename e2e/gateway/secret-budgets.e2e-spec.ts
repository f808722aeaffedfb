import type { TestApp } from '@authmesh/testing';
import { call, startAuth, startGateway, uniquePrefix } from './support/gateway-fixture.js';

// Every proxied endpoint where auth checks a secret (a client secret, an unlock token) has a
// per-address budget at the gateway, answered before anything reaches auth (finding 6). The
// endpoints that check a password (register, password, admin-token, login) are not proxied at all.
const SECRET_PATHS = ['/auth/unlock', '/oauth/introspect', '/oauth/revoke'];

describe('gateway: a budget on every argon2-backed endpoint (e2e)', () => {
  const LIMIT = 2;
  let auth: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    auth = await startAuth();
    gateway = await startGateway(
      { auth, ordersUrl: 'http://127.0.0.1:9', profilesUrl: 'http://127.0.0.1:9' },
      // Behind a load balancer on this host, so each path below is a client of its own.
      { GATEWAY_SECRET_RATE_PER_MIN: String(LIMIT), GATEWAY_REDIS_KEY_PREFIX: uniquePrefix('secret-budgets'), TRUST_PROXY: '127.0.0.1' },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await auth?.close();
  });

  it.each(SECRET_PATHS)(
    'answers POST %s beyond GATEWAY_SECRET_RATE_PER_MIN per address with 429 rate_limited (temporarily_unavailable on /oauth/*)',
    async (path) => {
      const client = `198.51.100.${100 + SECRET_PATHS.indexOf(path)}`;
      const send = () =>
        call(`${gateway.url}${path}`, {
          body: { email: 'someone@example.com', password: 'a wrong password!', currentPassword: 'x', newPassword: 'y', token: 'z' },
          headers: { 'x-forwarded-for': client },
        });
      for (let i = 0; i < LIMIT; i++) expect((await send()).status).not.toBe(429);
      const limited = await send();
      expect(limited.status).toBe(429);
      // /oauth/* answers in RFC 6749 §5.2 form, the gateway's own 429 included.
      expect(limited.body).toMatchObject(path.startsWith('/oauth/') ? { error: 'temporarily_unavailable' } : { code: 'rate_limited' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another address still has its budget.
      const other = await call(`${gateway.url}${path}`, { body: {}, headers: { 'x-forwarded-for': '198.51.100.99' } });
      expect(other.status).not.toBe(429);
    },
  );
});
