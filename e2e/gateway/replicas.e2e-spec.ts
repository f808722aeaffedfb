import type { TestApp } from '@authmesh/testing';
import { requestsServed } from '@authmesh/testing';
import { request as httpRequest } from 'node:http';
import { Browser } from './support/browser.js';
import {
  call,
  registerUser,
  reservedGatewayPort,
  startAuth,
  startGateway,
  startServices,
  uniquePrefix,
} from './support/gateway-fixture.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Two gateway replicas behind one public origin, sharing one real Redis (a key prefix of this
// file's own): sessions, refresh locks and rate-limit counters hold across them.
describe('two gateway replicas (e2e, one Redis)', () => {
  /** The load balancer's origin: a port registered at auth (its redirect URI), where neither replica listens. */
  let PUBLIC_ORIGIN = '';
  const LIMIT = 5;
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let a: Awaited<ReturnType<typeof startGateway>>;
  let b: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    auth = await startAuth({ AUTH_ACCESS_TOKEN_TTL_S: '30' });
    ({ orders, profiles } = await startServices(auth));
    PUBLIC_ORIGIN = `http://127.0.0.1:${reservedGatewayPort(auth)}`;
    const env = {
      GATEWAY_PUBLIC_ORIGIN: PUBLIC_ORIGIN,
      GATEWAY_REDIS_KEY_PREFIX: uniquePrefix('replicas'),
      GATEWAY_LOGIN_RATE_PER_MIN: String(LIMIT),
      GATEWAY_SESSION_REFRESH_BEFORE_S: '28',
      // Behind a load balancer on this host: the client address comes from its X-Forwarded-For,
      // so each test below can be a client of its own.
      TRUST_PROXY: '127.0.0.1',
    };
    const upstreams = { auth, ordersUrl: orders.url, profilesUrl: profiles.url };
    [a, b] = await Promise.all([startGateway(upstreams, env), startGateway(upstreams, env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  const browserOn = (gw: { url: string }): Browser => new Browser({ url: gw.url, origin: PUBLIC_ORIGIN });

  it('shares sessions: logged in on A, the cookie works on B, and logout on B ends it on A', async () => {
    const onA = browserOn(a);
    expect((await onA.login(await registerUser(auth.url, 'replica'))).status).toBe(200);
    const onB = browserOn(b);
    onB.cookie = onA.cookie;
    onB.csrfToken = onA.csrfToken;
    expect((await onB.send('GET', '/session')).body).toMatchObject({ authenticated: true, csrfToken: onA.csrfToken });
    expect((await onB.send('GET', '/api/orders')).status).toBe(200);
    expect((await onB.send('POST', '/session/logout')).status).toBe(200);
    expect(await onA.send('GET', '/api/orders')).toMatchObject({ status: 401, body: { code: 'session_expired' } });
  });

  it('refreshes a session once across replicas when both need it at the same moment', async () => {
    const onA = browserOn(a);
    expect((await onA.login(await registerUser(auth.url, 'replica-refresh'))).status).toBe(200);
    const onB = browserOn(b);
    onB.cookie = onA.cookie;
    await sleep(2200); // the access token has < 28 s left: every request now wants a refresh
    const before = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? onA : onB).send('GET', '/api/orders')));
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));
    // Auth would revoke the whole family on a second use of the same refresh token (no grace
    // window), so two refreshes would have logged the user out; there was exactly one. The other
    // two token requests are the exchanges of the new access token for orders, one per replica
    // (each has its own exchange cache).
    expect(await requestsServed(auth.managementUrl, 'POST', '/oauth/token')).toBe(before + 3);
    expect((await onA.send('GET', '/api/orders')).status).toBe(200);
  });

  it('shares the per-address login budget: N logins started on A plus M on B cross the limit on both', async () => {
    const start = (gw: { url: string }, client = '198.51.100.7') =>
      fetch(`${gw.url}/session/login`, { redirect: 'manual', headers: { 'x-forwarded-for': client } });
    for (let i = 0; i < 3; i++) expect((await start(a)).status).toBe(302);
    for (let i = 0; i < LIMIT - 3; i++) expect((await start(b)).status).toBe(302);
    for (const gw of [a, b]) {
      const res = await start(gw);
      expect(res.status).toBe(429);
      expect(await res.json()).toMatchObject({ code: 'rate_limited' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // Another client address has its own budget, and so has each endpoint (the callback's).
    expect((await start(a, '198.51.100.8')).status).toBe(302);
    const callback = await fetch(`${a.url}/session/callback?code=x&state=y`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': '198.51.100.7' },
    });
    expect(callback.status).toBe(400);
  });

  it('limits /oauth/token per address too, before anything reaches auth', async () => {
    const path = '/oauth/token';
    const send = (gw: { url: string }) =>
      call(`${gw.url}${path}`, {
        body: { grant_type: 'refresh_token', refresh_token: 'x' },
        headers: { 'x-forwarded-for': '198.51.100.9' },
      });
    let status = 0;
    for (let i = 0; i <= LIMIT && status !== 429; i++) status = (await send(i % 2 ? a : b)).status;
    expect(status).toBe(429);
    const before = await requestsServed(auth.managementUrl, 'POST', path);
    expect((await send(a)).status).toBe(429);
    expect(await requestsServed(auth.managementUrl, 'POST', path)).toBe(before);
  });

  it('counts dot-segment spellings (/oauth/./token, /oauth/%2e/token) against the same budget, and /auth/./login is the 404 of /auth/login', async () => {
    // node:http, not fetch: fetch would resolve the dot segments itself before sending.
    const post = (path: string, client: string, [body, contentType]: readonly [string, string]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          `${a.url}/`,
          { method: 'POST', path, headers: { 'content-type': contentType, 'x-forwarded-for': client } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const login = [
      JSON.stringify({ email: `dots-${Date.now()}@example.com`, password: 'wrong password here' }),
      'application/json',
    ] as const;
    // The password login is not proxied, however its path is spelled: nothing reaches auth.
    const logins = await requestsServed(auth.managementUrl, 'POST', '/auth/login');
    for (const path of ['/auth/login', '/auth/./login', '/auth/%2e/login', '/auth/%6Cogin', '/auth/x/../login'])
      expect((await post(path, '198.51.100.20', login)).status).toBe(404);
    expect(await requestsServed(auth.managementUrl, 'POST', '/auth/login')).toBe(logins);
    const token = ['grant_type=refresh_token&refresh_token=x&client_id=authmesh', 'application/x-www-form-urlencoded'] as const;
    const cases = [
      { path: '/oauth/./token', upstream: '/oauth/token', request: token, client: '198.51.100.23' },
      { path: '/oauth/%2e/token', upstream: '/oauth/token', request: token, client: '198.51.100.24' },
    ];
    for (const { path, upstream, request, client } of cases) {
      // The dotted spelling reaches auth's real endpoint (the proxy resolves it)...
      const first = await post(path, client, request);
      expect([400, 401]).toContain(first.status);
      // ...and spends the very budget the plain spelling has: LIMIT in all, then 429 for both.
      for (let i = 1; i < LIMIT; i++) expect((await post(i % 2 ? upstream : path, client, request)).status).not.toBe(429);
      const before = await requestsServed(auth.managementUrl, 'POST', upstream);
      for (const spelling of [path, upstream]) {
        const res = await post(spelling, client, request);
        expect(res.status).toBe(429);
        // /oauth/* answers in RFC 6749 §5.2 form, the gateway's own 429 included.
        expect(JSON.parse(res.body)).toMatchObject(
          upstream.startsWith('/oauth/') ? { error: 'temporarily_unavailable' } : { code: 'rate_limited' },
        );
      }
      expect(await requestsServed(auth.managementUrl, 'POST', upstream)).toBe(before);
    }
  });
});
