import { type TestApp, requestsServed } from '@authmesh/testing';
import { Browser } from './support/browser.js';
import { PASSWORD, loginAt, registerUser, startAuth, startGateway, startServices } from './support/gateway-fixture.js';

/** Auth's routes that check a password; not one may run because of a request to the gateway. */
const PASSWORD_ROUTES = ['/auth/login', '/auth/register', '/auth/password', '/auth/admin-token', '/login', '/account/password'];

/** Sample sub-paths of each proxied prefix: what is allowed, what takes a password, and spellings of the latter. */
const SUB_PATHS: Record<string, readonly string[]> = {
  '/auth': [
    'login',
    'register',
    'password',
    'admin-token',
    'logout',
    'logout-all',
    'sessions',
    'sessions/00000000-0000-4000-8000-000000000000/revoke',
    'verify-email',
    'unlock',
    './login',
    '%6Cogin',
    'sessions/../login',
    'login/',
  ],
  '/oauth': ['token', 'authorize', 'authorize/consent', 'logout', 'revoke', 'introspect', 'userinfo', 'login', './token'],
  '/.well-known': ['openid-configuration', 'jwks.json', '../auth/login'],
  '/api/orders': ['', '1', '1/cancel'],
  '/api/profiles': ['', 'me'],
};

/** Paths that are no route of the gateway, where a confused client might still post a password (auth's hosted pages). */
const EXTRA_PATHS = ['/login', '/account/password', '/oauth/authorize', '/session/login', '/'];

const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

// The promise: the gateway never receives a password on any route. Every route the
// gateway registers (its route table, the proxy prefixes with sample sub-paths, and a few paths
// it does not serve) gets every body method with a password in JSON, in a form and as text; with
// no credentials, with a user's bearer token, and with a live browser session (cookie, CSRF
// header, same origin). None may be answered 2xx, and none of auth's password-checking routes
// may run (their request counts at auth stay the same) — though the email and password sent are
// a real user's, so any route that logged in with them would show.
describe('no route of the gateway takes a password (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let email: string;
  let bearer: string;
  let browser: Browser;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway(
      { auth, ordersUrl: orders.url, profilesUrl: profiles.url },
      { GATEWAY_LOGIN_RATE_PER_MIN: '1000000', GATEWAY_SECRET_RATE_PER_MIN: '1000000' },
    );
    email = await registerUser(auth.url, 'no-password');
    bearer = (await loginAt(auth.url, email)).access_token;
    browser = new Browser(gateway);
    expect((await browser.login(email)).status).toBe(200);
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  /** Every path to try: the registered routes (`:param` filled, `*` replaced by each sample sub-path) and the extras. */
  function pathsToWalk(): string[] {
    const paths = new Set<string>(EXTRA_PATHS);
    // OPTIONS `*` is the CORS preflight (@fastify/cors), never a route with a body.
    for (const route of gateway.routes().filter((r) => r.method !== 'OPTIONS')) {
      const url = route.url.replace(/:[A-Za-z0-9_]+/g, 'x');
      if (!url.endsWith('*')) {
        paths.add(url);
        continue;
      }
      const prefix = url.slice(0, -1).replace(/\/$/, '');
      const samples = SUB_PATHS[prefix];
      if (!samples) throw new Error(`no sample sub-paths for the proxied prefix ${prefix}: add them to SUB_PATHS`);
      for (const sub of samples) paths.add(`${prefix}/${sub}`);
    }
    return [...paths].sort();
  }

  const secrets = {
    username: 'x',
    password: PASSWORD,
    current_password: PASSWORD,
    new_password: 'another long passphrase',
    currentPassword: PASSWORD,
    newPassword: 'another long passphrase',
    grant_type: 'password',
  };
  const bodies = (): { type: string; body: string }[] => {
    const fields = { ...secrets, email };
    return [
      // Exactly a login's body (a route taking it would answer 200), then every password field at once.
      { type: 'application/json', body: JSON.stringify({ email, password: PASSWORD }) },
      { type: 'application/json', body: JSON.stringify(fields) },
      { type: 'application/x-www-form-urlencoded', body: new URLSearchParams(fields).toString() },
      { type: 'text/plain', body: JSON.stringify(fields) },
    ];
  };

  it('walks a route table that covers the session routes and every proxy prefix', () => {
    const paths = pathsToWalk();
    expect(paths).toEqual(
      expect.arrayContaining(['/session/logout', '/session/login', '/session/callback', '/auth/login', '/oauth/token']),
    );
    expect(gateway.routes().some((r) => r.url === '/auth/*')).toBe(true);
  });

  it.each(['no credentials', 'a bearer token', 'a browser session'] as const)(
    'answers no password body 2xx, and auth checks no password, with %s',
    async (mode) => {
      const before = await Promise.all(PASSWORD_ROUTES.map((p) => requestsServed(auth.managementUrl, 'POST', p)));
      const accepted: string[] = [];
      for (const path of pathsToWalk()) {
        for (const method of BODY_METHODS) {
          for (const { type, body } of bodies()) {
            const headers: Record<string, string> = { 'content-type': type, accept: 'application/json' };
            if (mode === 'a bearer token') headers.authorization = `Bearer ${bearer}`;
            if (mode === 'a browser session') {
              headers.cookie = `${browser.cookieName}=${browser.cookie!}`;
              headers['x-csrf-token'] = browser.csrfToken!;
              headers.origin = gateway.origin;
            }
            const res = await fetch(`${gateway.url}${path}`, { method, headers, body, redirect: 'manual' });
            await res.arrayBuffer();
            if (res.status >= 200 && res.status < 300) accepted.push(`${method} ${path} (${type}): ${res.status}`);
          }
        }
      }
      expect(accepted).toEqual([]);
      expect(await Promise.all(PASSWORD_ROUTES.map((p) => requestsServed(auth.managementUrl, 'POST', p)))).toEqual(before);
      // The walk ended nothing it should not have: the session still works.
      if (mode === 'a browser session') expect((await browser.send('GET', '/api/orders')).status).toBe(200);
    },
    180_000,
  );
});
