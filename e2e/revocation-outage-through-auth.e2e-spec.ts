import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { RevocationKeyspace } from '@authmesh/revocation';
import { OwnedRedis, newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

/** The names auth's store gives the blocklist in Redis (one hash tag, see RevocationKeyspace). */
const keyspace = new RevocationKeyspace();

// A Redis server this test owns is killed while revocations are written at auth and requests are
// verified at orders, then restarted: the outage policy holds, nothing accepted is lost, and orders
// honours every revocation made during the outage.
describe('a Redis outage between auth and orders', () => {
  let redis: OwnedRedis;
  let auth: TestApp;
  let orders: TestApp;
  const password = 'long enough password!';
  const STALENESS_S = 2;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    auth = await newTestApp(authApp, {
      REDIS_URL: redis.url,
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: 'http://auth.test',
    });
    orders = await newTestApp(ordersApp, {
      REDIS_URL: redis.url,
      AUTH_ISSUER: 'http://auth.test',
      AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      REVOCATION_MAX_STALENESS_S: String(STALENESS_S),
      ...UNUSED_PROFILES_CLIENT_ENV,
    });
  });
  afterAll(async () => {
    await orders?.close();
    await auth?.close();
    await redis?.stop();
  });

  const json = { 'content-type': 'application/json' };
  async function newUser(): Promise<string> {
    const email = `o-${randomBytes(5).toString('hex')}@example.com`;
    await fetch(`${auth.url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const res = await fetch(`${auth.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const whoami = async (token: string): Promise<{ status: number; code?: string; retryAfter: string | null }> => {
    const res = await fetch(`${orders.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code, retryAfter: res.headers.get('retry-after') };
  };
  const post = (path: string, token: string): Promise<Response> =>
    fetch(`${auth.url}${path}`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: '{}' });

  it('holds the policy during the outage, loses no revocation, and honours them all afterwards', async () => {
    const [loggedOut, everywhere, bystander] = await Promise.all([newUser(), newUser(), newUser()]);
    expect((await whoami(bystander)).status).toBe(200);

    await redis.stop();
    // Revocations accepted by auth while Redis is gone.
    expect((await post('/auth/logout', loggedOut)).status).toBe(200);
    expect((await post('/auth/logout-all', everywhere)).status).toBe(200);
    // Within the staleness bound orders keeps serving on its mirror…
    expect((await whoami(bystander)).status).toBe(200);
    // …past it, policy `reject`: 503 revocation_unavailable, never a silent fail-open.
    await waitFor(async () => (await whoami(bystander)).status === 503, 10_000, 100);
    expect(await whoami(bystander)).toMatchObject({ status: 503, code: 'revocation_unavailable', retryAfter: expect.any(String) });

    await redis.start();
    const probe = new Redis(redis.url);
    try {
      // auth's outbox replays what it accepted during the outage…
      await waitFor(async () => (await probe.exists(keyspace.jtiKey(decodeJwt(loggedOut).jti!))) === 1, 20_000, 100);
      await waitFor(async () => (await probe.exists(keyspace.subKey(decodeJwt(everywhere).sub!))) === 1, 20_000, 100);
      // …and orders, re-synced, honours every one of them while others pass again.
      await waitFor(async () => (await whoami(bystander)).status === 200, 20_000, 100);
      await waitFor(
        async () => (await whoami(loggedOut)).code === 'token_revoked' && (await whoami(everywhere)).code === 'token_revoked',
        5000,
        50,
      );
    } finally {
      probe.disconnect();
    }
  });
});
