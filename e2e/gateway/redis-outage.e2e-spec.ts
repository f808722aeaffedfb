import { OwnedRedis, type TestApp, waitFor, requestsServed } from '@authmesh/testing';
import { randomBytes } from 'node:crypto';
import { Browser } from './support/browser.js';
import { call, loginAt, registerUser, startAuth, startGateway, startServices } from './support/gateway-fixture.js';

// The gateway's own Redis (a server this test owns) goes away: sessions fail closed (503 with
// Retry-After, never a request let through unauthenticated), login rate limits fall back to this
// instance's memory (still bounded), bearer traffic keeps flowing within the revocation staleness
// bound. Auth and the services keep the shared test Redis.
describe('the gateway during a Redis outage (e2e)', () => {
  const LIMIT = 4;
  let redis: OwnedRedis;
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway(
      { auth, ordersUrl: orders.url, profilesUrl: profiles.url },
      { REDIS_URL: redis.url, GATEWAY_LOGIN_RATE_PER_MIN: String(LIMIT), REVOCATION_MAX_STALENESS_S: '30' },
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
    await redis?.stop();
  });

  it('answers session requests 503 session_store_unavailable, keeps bearer traffic and bounded login limits, and recovers', async () => {
    const browser = new Browser(gateway);
    expect((await browser.login(await registerUser(auth.url, 'outage'))).status).toBe(200);
    const bearer = (await loginAt(auth.url, await registerUser(auth.url, 'outage-bearer'))).access_token;

    await redis.stop();

    const session = await browser.send('GET', '/api/orders');
    expect(session.status).toBe(503);
    expect(session.body).toMatchObject({ code: 'session_store_unavailable' });
    expect(Number(session.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A login can't even start: its pending state has nowhere to live.
    const login = await new Browser(gateway).login(await registerUser(auth.url, 'outage-login'));
    expect(login.status).toBe(503);
    expect(login.headers.get('retry-after')).not.toBeNull();

    // Within REVOCATION_MAX_STALENESS_S, bearer requests are still verified on the mirror.
    expect((await call(`${gateway.url}/api/orders`, { token: bearer })).status).toBe(200);

    // The login budget falls back to this instance's memory: still enforced, by the gateway itself
    // (code rate_limited). The callback's budget: each attempt there would redeem a code at auth.
    const tokenCalls = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
    const attempt = () =>
      fetch(`${gateway.url}/session/callback?code=${randomBytes(8).toString('hex')}&state=x`, { headers: { accept: 'application/json' } });
    const statuses: number[] = [];
    // One budget was spent by the login above (its start), none on the callback yet.
    for (let i = 0; i < LIMIT; i++) statuses.push((await attempt()).status);
    expect(statuses.every((s) => s !== 429)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const limited = await attempt();
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ code: 'rate_limited' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(await requestsServed(auth.managementUrl, 'POST', '/oauth/token')).toBe(tokenCalls);

    await redis.start();
    await waitFor(async () => (await browser.send('GET', '/session')).status === 200, 15_000, 100);
    // This Redis keeps nothing across a restart (no AOF): the session is gone, and the gateway
    // says so rather than failing. (Run Redis with persistence to keep sessions through restarts.)
    expect((await browser.send('GET', '/session')).body).toEqual({ authenticated: false });
  });
});
