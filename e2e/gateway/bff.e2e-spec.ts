import type { TestApp } from '@authmesh/testing';
import { Redis } from 'ioredis';
import { testRedisUrl, requestsServed } from '@authmesh/testing';
import { openSession, sessionHash } from '../../apps/gateway/src/session/session-seal.js';
import { storeKey } from '../../apps/gateway/src/session/session.service.js';
import { Browser } from './support/browser.js';
import { ADDRESS, CART, GATEWAY_CLIENT, call, registerUser, startAuth, startGateway, startServices } from './support/gateway-fixture.js';

/** RFC 6749 §2.3.1 client_secret_basic of the gateway's client: code-flow families are its own. */
const GATEWAY_BASIC = `Basic ${Buffer.from(`${GATEWAY_CLIENT.clientId}:${GATEWAY_CLIENT.secret}`).toString('base64')}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Browser (BFF) mode over real auth, orders, profiles and Redis: the browser holds only a cookie.
// Auth issues 30 s access tokens (its minimum); the main gateway refreshes them when they have 28 s
// left, i.e. after 2 s, so a refresh is seconds away rather than minutes.
describe('gateway BFF sessions (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  /** Short idle (2 s) and absolute (4 s) timeouts. */
  let timeouts: Awaited<ReturnType<typeof startGateway>>;
  /** No refresh ahead of time and no clock tolerance: the access token really expires first. */
  let lazy: Awaited<ReturnType<typeof startGateway>>;
  let lazyBrowser: Browser;
  let lazyLoginAt = 0;
  let redis: Redis;

  beforeAll(async () => {
    auth = await startAuth({ AUTH_ACCESS_TOKEN_TTL_S: '30' });
    ({ orders, profiles } = await startServices(auth));
    const upstreams = { auth, ordersUrl: orders.url, profilesUrl: profiles.url };
    [gateway, timeouts, lazy] = await Promise.all([
      startGateway(upstreams, { GATEWAY_SESSION_REFRESH_BEFORE_S: '28' }),
      startGateway(upstreams, { GATEWAY_SESSION_IDLE_S: '2', GATEWAY_SESSION_ABSOLUTE_S: '4', GATEWAY_SESSION_REFRESH_BEFORE_S: '5' }),
      startGateway(upstreams, { GATEWAY_SESSION_REFRESH_BEFORE_S: '0', JWT_CLOCK_TOLERANCE_S: '0' }),
    ]);
    redis = new Redis(testRedisUrl());
    // Logged in now, used by the last test once its access token has expired (~31 s).
    lazyBrowser = new Browser(lazy);
    expect((await lazyBrowser.login(await registerUser(auth.url, 'bff-lazy'))).status).toBe(200);
    lazyLoginAt = Date.now();
  });
  afterAll(async () => {
    redis?.disconnect();
    await Promise.all([gateway?.close(), timeouts?.close(), lazy?.close()]);
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  async function loggedIn(label: string, on = gateway): Promise<Browser> {
    const browser = new Browser(on);
    const res = await browser.login(await registerUser(auth.url, label));
    expect(res.status).toBe(200);
    return browser;
  }
  const tokenGrants = (): Promise<number> => requestsServed(auth.managementUrl, 'POST', '/oauth/token');
  const ordersPosts = (): Promise<number> => requestsServed(orders.managementUrl, 'POST', '/orders');

  it('logs in through the code flow and sets an HttpOnly; Secure; SameSite=Lax; Path=/ session cookie, never a token', async () => {
    const browser = new Browser(gateway);
    const res = await browser.login(await registerUser(auth.url, 'bff-login'));
    expect(res.status).toBe(200);
    expect(browser.loginCookie).toBeUndefined(); // the pending login is used up
    expect(Object.keys(res.body).sort()).toEqual(['authenticated', 'csrfToken', 'sub']);
    expect(res.body).toMatchObject({ authenticated: true, csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = browser.lastSetCookie!;
    expect(cookie).toMatch(/^authmesh_session=[A-Za-z0-9_-]{43};/);
    const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'secure', 'samesite=lax', 'path=/']));
    expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);

    const session = await browser.send('GET', '/session');
    expect(session.body).toEqual({ authenticated: true, csrfToken: res.body.csrfToken, sub: res.body.sub });
  });

  it('keeps a wrong password at auth’s login page (401, the uniform message): the gateway sets no session cookie', async () => {
    const browser = new Browser(gateway);
    const res = await browser.login(await registerUser(auth.url, 'bff-wrong'), 'not the password at all');
    expect(res.status).toBe(401);
    expect(browser.lastStop).toMatchObject({ step: 'login-form', status: 401 });
    expect(browser.lastStop!.html).toContain('id="login-error"');
    expect(browser.lastSetCookie).toBeUndefined();
    expect(browser.cookie).toBeUndefined();
  });

  it('answers GET /session without a cookie with { authenticated: false }', async () => {
    const res = await call(`${gateway.url}/session`);
    expect(res).toMatchObject({ status: 200, body: { authenticated: false } });
  });

  it('lets a cookie-only client (no Authorization header) set its address and create an order', async () => {
    const browser = await loggedIn('bff-order');
    expect((await browser.send('PUT', '/api/profiles/me', { displayName: 'Cookie', shippingAddress: ADDRESS })).status).toBe(200);
    const created = await browser.send<{ id: string }>('POST', '/api/orders', CART);
    expect(created.status).toBe(201);
    const list = await browser.send<{ items: { id: string }[] }>('GET', '/api/orders', undefined, { csrf: false });
    expect(list.status).toBe(200);
    expect(list.body.items.map((o) => o.id)).toEqual([created.body.id]);
  });

  it('refuses an unsafe cookie request without the CSRF token, or with a wrong one, and nothing reaches orders', async () => {
    const browser = await loggedIn('bff-csrf');
    const before = await ordersPosts();
    for (const csrf of [false, 'x'.repeat(43)] as const) {
      const res = await browser.send('POST', '/api/orders', CART, { csrf });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'csrf_failed' });
    }
    expect(await ordersPosts()).toBe(before);
  });

  it('refuses an unsafe cookie request from a foreign Origin, or with no Origin or Referer, and nothing reaches orders', async () => {
    const browser = await loggedIn('bff-origin');
    const before = await ordersPosts();
    expect((await browser.send('POST', '/api/orders', CART, { origin: 'https://evil.example' })).body).toMatchObject({
      code: 'csrf_failed',
    });
    expect((await browser.send('POST', '/api/orders', CART, { origin: 'null' })).status).toBe(403);
    expect((await browser.send('POST', '/api/orders', CART, { origin: null })).status).toBe(403);
    expect(
      (await browser.send('POST', '/api/orders', CART, { origin: null, headers: { referer: 'https://evil.example/page' } })).status,
    ).toBe(403);
    expect(await ordersPosts()).toBe(before);
    // A same-origin Referer (browsers that omit Origin) is accepted.
    const ok = await browser.send(
      'PUT',
      '/api/profiles/me',
      { displayName: 'R' },
      { origin: null, headers: { referer: `${gateway.origin}/app` } },
    );
    expect(ok.status).toBe(200);
  });

  it('lets Authorization win over the cookie: a request with both is judged by its bearer token', async () => {
    const browser = await loggedIn('bff-both');
    const res = await browser.send('GET', '/api/orders', undefined, { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'token_malformed' });
  });

  it('refreshes the access token before it expires, exactly once for concurrent requests, without the client noticing', async () => {
    const browser = await loggedIn('bff-refresh');
    await sleep(2200); // the access token now has < 28 s left
    const before = await tokenGrants();
    const answers = await Promise.all(Array.from({ length: 12 }, () => browser.send('GET', '/api/orders')));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    // One refresh, plus one exchange of the new access token for orders (cached, shared by all 12).
    expect(await tokenGrants()).toBe(before + 2);
    // The refreshed pair is stored and its exchanged token cached: the next request costs auth nothing.
    expect((await browser.send('GET', '/api/orders')).status).toBe(200);
    expect(await tokenGrants()).toBe(before + 2);
  });

  it('gives a new session id at every login and ends the session the request presented (no fixation)', async () => {
    const browser = await loggedIn('bff-fixation');
    const first = browser.cookie!;
    const email = await registerUser(auth.url, 'bff-fixation-2');
    expect((await browser.login(email)).status).toBe(200);
    const second = browser.cookie!;
    expect(second).not.toBe(first);
    browser.cookie = first;
    const old = await browser.send('GET', '/session');
    expect(old.body).toEqual({ authenticated: false });
    expect(browser.lastSetCookie).toMatch(/^authmesh_session=;/);
  });

  it('logout (CSRF-checked) clears the cookie, ends the session and revokes the refresh token at auth', async () => {
    const browser = await loggedIn('bff-logout');
    const cookie = browser.cookie!;
    const prefix = gateway.config.gateway.redisKeyPrefix;
    const sealed = await redis.get(`${prefix}${storeKey(sessionHash(cookie))}`);
    // Redis holds neither the cookie nor a readable token: only the cookie opens the session.
    expect(sealed).not.toContain(cookie);
    const refreshToken = openSession(cookie, sealed!)!.refreshToken;

    const refused = await browser.send('POST', '/session/logout', undefined, { csrf: false });
    expect(refused).toMatchObject({ status: 403, body: { code: 'csrf_failed' } });

    const res = await browser.send('POST', '/session/logout');
    expect(res.status).toBe(200);
    expect(browser.lastSetCookie).toMatch(/^authmesh_session=;/);
    expect(browser.lastSetCookie).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
    expect(await redis.exists(`${prefix}${storeKey(sessionHash(cookie))}`)).toBe(0);

    browser.cookie = cookie;
    const after = await browser.send('GET', '/api/orders');
    expect(after).toMatchObject({ status: 401, body: { code: 'session_expired' } });
    const reuse = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: GATEWAY_BASIC },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('answers logout with auth’s end-session URL (id_token_hint, client_id, post_logout_redirect_uri): the SSO session ends there', async () => {
    const browser = await loggedIn('bff-logout-url');
    const res = await browser.send<{ authenticated: boolean; logoutUrl: string }>('POST', '/session/logout');
    expect(res.status).toBe(200);
    expect(res.body.authenticated).toBe(false);
    const url = new URL(res.body.logoutUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${auth.url}/oauth/logout`);
    expect(url.searchParams.get('client_id')).toBe('gateway');
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${gateway.origin}/`);
    expect(url.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // Without a session there is nothing to hint at, but the SSO session may still be live: auth asks to confirm.
    const again = await call<{ authenticated: boolean; logoutUrl: string }>(`${gateway.url}/session/logout`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(new URL(again.body.logoutUrl).searchParams.has('id_token_hint')).toBe(false);
  });

  it('carries the session to auth’s account operations (sign out everywhere): CSRF-checked, no body, the session’s own token', async () => {
    const browser = await loggedIn('bff-logout-all');
    const before = await requestsServed(auth.managementUrl, 'POST', '/auth/logout-all');
    expect(await browser.send('POST', '/auth/logout-all', undefined, { csrf: false })).toMatchObject({
      status: 403,
      body: { code: 'csrf_failed' },
    });
    expect(await browser.send('POST', '/auth/logout-all', { password: 'a long enough passphrase' })).toMatchObject({
      status: 400,
      body: { code: 'body_not_accepted' },
    });
    expect(await requestsServed(auth.managementUrl, 'POST', '/auth/logout-all')).toBe(before);
    expect((await browser.send('POST', '/auth/logout-all')).status).toBe(200);
    // Every session of the user is over, this one included (its tokens are revoked at auth).
    let res = await browser.send('GET', '/api/orders');
    for (let i = 0; res.status === 200 && i < 150; i++) {
      await sleep(20);
      res = await browser.send('GET', '/api/orders');
    }
    expect(res).toMatchObject({ status: 401, body: { code: 'session_expired' } });
  });

  it('no longer takes a password: POST /session/login is gone (405, GET only) and auth saw no login', async () => {
    const before = await requestsServed(auth.managementUrl, 'POST', '/auth/login');
    const res = await call(`${gateway.url}/session/login`, { body: { email: 'a@example.com', password: 'a long enough passphrase' } });
    expect(res.status).toBe(405);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await requestsServed(auth.managementUrl, 'POST', '/auth/login')).toBe(before);
  });

  it('ends the session (401 session_expired, cookie cleared) when its access token is revoked elsewhere', async () => {
    // The lazy gateway does not refresh ahead of time: its next request verifies the same access token.
    const browser = await loggedIn('bff-revoked', lazy);
    const cookie = browser.cookie!;
    const key = `${lazy.config.gateway.redisKeyPrefix}${storeKey(sessionHash(cookie))}`;
    const refreshToken = openSession(cookie, (await redis.get(key))!)!.refreshToken;
    expect((await browser.send('GET', '/api/orders')).status).toBe(200);

    // Revoked at auth, not through the gateway: RFC 7009 on the refresh token kills its family and its access tokens.
    const revoke = await fetch(`${auth.url}/oauth/revoke`, {
      method: 'POST',
      headers: { authorization: GATEWAY_BASIC },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
    });
    expect(revoke.status).toBe(200);

    let res = await browser.send('GET', '/api/orders');
    for (let i = 0; res.status === 200 && i < 150; i++) {
      await sleep(20); // until the revocation reaches the gateway's mirror
      res = await browser.send('GET', '/api/orders');
    }
    expect(res).toMatchObject({ status: 401, body: { code: 'session_expired' } });
    expect(browser.lastSetCookie).toMatch(/^authmesh_session=;/);
    expect(await redis.exists(key)).toBe(0);
    browser.cookie = cookie;
    expect((await browser.send('GET', '/session')).body).toEqual({ authenticated: false });
  });

  it('ends a session left idle longer than GATEWAY_SESSION_IDLE_S, and clears its cookie', async () => {
    const browser = await loggedIn('bff-idle', timeouts);
    await sleep(1000);
    expect((await browser.send('GET', '/api/orders')).status).toBe(200);
    await sleep(2500);
    const cookie = browser.cookie;
    const res = await browser.send('GET', '/api/orders');
    expect(res).toMatchObject({ status: 401, body: { code: 'session_expired' } });
    expect(browser.lastSetCookie).toMatch(/^authmesh_session=;/);
    expect(cookie).toBeDefined();
  });

  it('ends a session GATEWAY_SESSION_ABSOLUTE_S after login even while it is used', async () => {
    const browser = await loggedIn('bff-absolute', timeouts);
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      expect((await browser.send('GET', '/api/orders')).status).toBe(200);
    }
    await sleep(1300);
    expect(await browser.send('GET', '/api/orders')).toMatchObject({ status: 401, body: { code: 'session_expired' } });
  });

  it('survives a real access-token expiry: the next request refreshes first', async () => {
    // The lazy gateway refreshes only once the token has expired (no tolerance): wait for that.
    await sleep(Math.max(0, lazyLoginAt + 31_500 - Date.now()));
    const before = await tokenGrants();
    const res = await lazyBrowser.send('GET', '/api/orders');
    expect(res.status).toBe(200);
    // The refresh, then the exchange of the new access token for orders.
    expect(await tokenGrants()).toBe(before + 2);
  }, 60_000);
});
