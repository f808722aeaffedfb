import { type TestApp, requestsServed } from '@authmesh/testing';
import { Browser } from './support/browser.js';
import { ISSUER, PASSWORD, call, deadUrl, registerUser, startAuth, startGateway, startServices } from './support/gateway-fixture.js';

/** What the gateway's sign-in error page shows: its status, stable code, and that it set no session. */
async function errorPage(res: Response): Promise<{ status: number; code: string | undefined; session: boolean }> {
  const html = await res.text();
  return {
    status: res.status,
    code: /<p id="error-code">([^<]*)<\/p>/.exec(html)?.[1],
    session: res.headers.getSetCookie().some((c) => /^authmesh_session=[^;]+/.test(c)),
  };
}

// The gateway as a relying party of real auth (code flow, PKCE, state, nonce, iss): each attack on
// the callback is sent over HTTP and refused with its page, never with a session.
describe('gateway: browser login on the authorization code flow (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url }, { GATEWAY_LOGIN_RATE_PER_MIN: '1000000' });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  /** A browser half-way: its login started and the user signed in at auth; the redirect back not yet followed. */
  async function atCallback(label: string, returnTo = '/'): Promise<{ browser: Browser; callback: URL }> {
    const browser = new Browser(gateway);
    const start = await browser.startLogin(returnTo);
    expect(start.status).toBe(302);
    const callback = await browser.authorize(start.headers.get('location')!, await registerUser(auth.url, label), PASSWORD);
    expect(callback).toBeDefined();
    return { browser, callback: new URL(callback!) };
  }
  const callbackWith = (browser: Browser, url: URL): Promise<Response> => browser.finishLogin(url.href);

  it('redirects to auth’s authorization endpoint with PKCE S256, state, nonce and the registered redirect URI', async () => {
    const browser = new Browser(gateway);
    const res = await browser.startLogin('/account');
    expect(res.status).toBe(302);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const url = new URL(res.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(`${auth.url}/oauth/authorize`);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: 'gateway',
      redirect_uri: `${gateway.origin}/session/callback`,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(q.scope!.split(' ')).toContain('openid');
    // The pending login is bound to this browser by an HttpOnly, SameSite=Lax cookie.
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('authmesh_login='))!;
    expect(cookie.split(';').map((a) => a.trim().toLowerCase())).toEqual(
      expect.arrayContaining(['httponly', 'secure', 'samesite=lax', 'path=/']),
    );
    // A second login gets fresh values.
    const again = new URL((await new Browser(gateway).startLogin()).headers.get('location')!);
    for (const p of ['state', 'nonce', 'code_challenge']) expect(again.searchParams.get(p)).not.toBe(url.searchParams.get(p));
  });

  it('finishes the login: a session cookie and a 302 to return_to; no password ever reached the gateway', async () => {
    const { browser, callback } = await atCallback('flow-ok', '/account?tab=sessions');
    expect(callback.searchParams.get('iss')).toBe(ISSUER);
    const res = await callbackWith(browser, callback);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/account?tab=sessions');
    expect(browser.cookie).toMatch(/^[\w-]{43}$/);
    expect(browser.loginCookie).toBeUndefined();
    expect((await browser.send('GET', '/session')).body).toMatchObject({ authenticated: true });
  });

  it.each(['//evil.example/phish', '/\\evil.example', 'https://evil.example/', '/\t/evil.example'])(
    'sends the browser to / instead of return_to=%j (no open redirect)',
    async (returnTo) => {
      const { browser, callback } = await atCallback('flow-return', returnTo);
      const res = await callbackWith(browser, callback);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/');
    },
  );

  it('refuses a callback in a browser that did not start the login (login CSRF): login_state_missing, no session', async () => {
    // The attacker signs in as themself and plants their callback URL in the victim's browser.
    const { callback } = await atCallback('flow-attacker');
    const victim = new Browser(gateway);
    expect(await errorPage(await callbackWith(victim, callback))).toEqual({ status: 400, code: 'login_state_missing', session: false });
    expect(victim.cookie).toBeUndefined();
  });

  it('refuses another login’s callback in a browser with a login of its own: login_state_mismatch', async () => {
    const { callback } = await atCallback('flow-attacker-2');
    const victim = new Browser(gateway);
    expect((await victim.startLogin()).status).toBe(302);
    expect(await errorPage(await callbackWith(victim, callback))).toEqual({ status: 400, code: 'login_state_mismatch', session: false });
  });

  it('refuses a replayed callback: the pending login is used once', async () => {
    const { browser, callback } = await atCallback('flow-replay');
    const login = browser.loginCookie;
    expect((await callbackWith(browser, callback)).status).toBe(302);
    const replay = new Browser(gateway);
    replay.loginCookie = login;
    expect(await errorPage(await callbackWith(replay, callback))).toEqual({ status: 400, code: 'login_state_missing', session: false });
  });

  it('refuses a response from another issuer (RFC 9207 mix-up): login_issuer_mismatch, and the code is not redeemed', async () => {
    const { browser, callback } = await atCallback('flow-mixup');
    callback.searchParams.set('iss', 'https://evil.example');
    const before = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
    expect(await errorPage(await callbackWith(browser, callback))).toEqual({ status: 400, code: 'login_issuer_mismatch', session: false });
    expect(await requestsServed(auth.managementUrl, 'POST', '/oauth/token')).toBe(before);
  });

  it('refuses a forged code: login_code_refused (auth’s invalid_grant), no session', async () => {
    const { browser, callback } = await atCallback('flow-forged');
    callback.searchParams.set('code', 'A'.repeat(43));
    expect(await errorPage(await callbackWith(browser, callback))).toEqual({ status: 400, code: 'login_code_refused', session: false });
  });

  it('shows auth’s refusal (access_denied) as login_denied with a link back to /', async () => {
    const browser = new Browser(gateway);
    const start = await browser.startLogin();
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const url = new URL(`${gateway.origin}/session/callback`);
    url.search = new URLSearchParams({ error: 'access_denied', error_description: 'The user said no', state, iss: ISSUER }).toString();
    const res = await callbackWith(browser, url);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.clone().text();
    expect(html).toContain('<a id="back-home" href="/">');
    expect(await errorPage(res)).toEqual({ status: 400, code: 'login_denied', session: false });
  });

  it('answers a JSON client with the platform’s error body instead of the page', async () => {
    const res = await call(`${gateway.url}/session/callback?code=x&state=y`, { headers: { accept: 'application/json' } });
    expect(res).toMatchObject({ status: 400, body: { code: 'login_state_missing' } });
  });

  it('ends the session the callback’s browser presented (fixation) and signs in the second browser without the form (SSO)', async () => {
    const { browser, callback } = await atCallback('flow-sso');
    expect((await callbackWith(browser, callback)).status).toBe(302);
    const first = browser.cookie!;
    // Same browser, second login: auth's SSO session answers without the login form.
    const forms = await requestsServed(auth.managementUrl, 'POST', '/login');
    const start = await browser.startLogin();
    const back = await browser.authorize(start.headers.get('location')!, 'unused@example.com', 'unused');
    expect(await requestsServed(auth.managementUrl, 'POST', '/login')).toBe(forms);
    expect((await browser.finishLogin(back!)).status).toBe(302);
    expect(browser.cookie).not.toBe(first);
    const old = new Browser(gateway);
    old.cookie = first;
    expect((await old.send('GET', '/session')).body).toEqual({ authenticated: false });
  });

  it('signs out at auth too: the logoutUrl ends the SSO session and comes back to the gateway’s /', async () => {
    const { browser, callback } = await atCallback('flow-logout');
    expect((await callbackWith(browser, callback)).status).toBe(302);
    browser.csrfToken = (await browser.send<{ csrfToken: string }>('GET', '/session')).body.csrfToken;
    const out = await browser.send<{ logoutUrl: string }>('POST', '/session/logout');
    expect(out.status).toBe(200);
    // The app navigates there: auth checks id_token_hint and the registered post-logout URI, ends the SSO session.
    const atAuth = await fetch(out.body.logoutUrl, { redirect: 'manual', headers: { cookie: browser.authCookies.header ?? '' } });
    browser.authCookies.take(atAuth);
    expect(atAuth.status).toBe(302);
    expect(atAuth.headers.get('location')).toBe(`${gateway.origin}/`);
    // The next login needs the password again: no SSO session is left at auth.
    const start = await browser.startLogin();
    const page = await fetch(start.headers.get('location')!, { redirect: 'manual', headers: { cookie: browser.authCookies.header ?? '' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="login-form"');
  });

  it('starts without auth and answers logins 503 with Retry-After until auth is there (lazy discovery)', async () => {
    const lonely = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url }, { AUTH_URL: await deadUrl() });
    try {
      const res = await fetch(`${lonely.url}/session/login`, { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'auth_unavailable' });
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(`${lonely.url}/health/live`)).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });
});
