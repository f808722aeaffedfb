import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import type { TestApp } from '@authmesh/testing';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { basic, form } from '../../apps/auth/test/auth-fixture.js';
import { AccessTokenIssuer } from '../../apps/auth/src/tokens/access-token.issuer.js';
import { Browser } from './support/browser.js';
import {
  GATEWAY_CLIENT,
  ORDERS_CLIENT,
  PASSWORD,
  RecordingUpstream,
  call,
  deadUrl,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './support/gateway-fixture.js';

const ADMIN = { email: 'hop-admin@example.com', password: 'hop admin password 1' };
/** A client-credentials admin client, as authctl uses (audience auth alone). */
const OPS_CLIENT = { clientId: 'hop-ops', secret: 'hop-ops-secret-0123456789AbCdEfGhIjKl', scopes: ['auth:admin'], audiences: ['auth'] };
/** A client that may exchange user tokens for audience auth (to mint an exchanged token auth must refuse). */
const RELAY_CLIENT = {
  clientId: 'hop-relay',
  secret: 'hop-relay-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin'],
  audiences: ['auth'],
  grantTypes: [GRANT_TOKEN_EXCHANGE],
};
const EXCHANGE = GRANT_TOKEN_EXCHANGE;
const ACCESS_TOKEN_TYPE = TOKEN_TYPE_ACCESS_TOKEN;

type Answer = { status: number; body: { code?: string } };

// Audiences per hop: a token that crosses a hop is good for that hop only. Echo upstreams stand in
// for orders and profiles behind a real gateway (they record the Authorization they receive, as a
// compromised backend or its header logs would); real auth, orders and profiles are where the
// captured tokens are replayed.
describe('audiences per hop: what an upstream sees is good for that upstream only (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let echoOrders: RecordingUpstream;
  let echoProfiles: RecordingUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    auth = await startAuth({
      AUTH_SEED_ADMIN_EMAIL: ADMIN.email,
      AUTH_SEED_ADMIN_PASSWORD: ADMIN.password,
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT, OPS_CLIENT, RELAY_CLIENT]),
    });
    ({ orders, profiles } = await startServices(auth));
    [echoOrders, echoProfiles] = await Promise.all([RecordingUpstream.start(), RecordingUpstream.start()]);
    gateway = await startGateway({ auth, ordersUrl: echoOrders.url, profilesUrl: echoProfiles.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([echoOrders?.close(), echoProfiles?.close()]);
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  const bearerOf = (authorization: string | string[] | undefined): string => String(authorization).replace(/^Bearer /, '');
  const lastAt = (echo: RecordingUpstream): string => bearerOf(echo.seen[echo.seen.length - 1]!.headers.authorization);

  /** The token replayed everywhere a compromised upstream would try it. */
  async function replays(token: string, other: 'orders' | 'profiles'): Promise<Record<string, Answer>> {
    const otherService = other === 'orders' ? `${orders.url}/orders` : `${profiles.url}/profiles/me`;
    return {
      adminClients: await call(`${auth.url}/admin/clients`, { token }),
      password: await call(`${auth.url}/auth/password`, {
        token,
        body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
      }),
      logoutAll: await call(`${auth.url}/auth/logout-all`, { token, body: {} }),
      otherService: await call(otherService, { token }),
    };
  }

  const refusedEverywhere = {
    adminClients: { status: 401, body: { code: 'token_wrong_audience' } },
    password: { status: 401, body: { code: 'token_wrong_audience' } },
    logoutAll: { status: 401, body: { code: 'token_wrong_audience' } },
    otherService: { status: 401, body: { code: 'token_wrong_audience' } },
  };

  /** A logged-in caller: bearer (tokens from auth's /auth/login) or BFF (a session cookie at the gateway). */
  async function caller(kind: 'user' | 'admin', mode: 'bearer' | 'bff'): Promise<(path: string) => Promise<Answer>> {
    const email = kind === 'admin' ? ADMIN.email : await registerUser(auth.url, `hop-${mode}`);
    const password = kind === 'admin' ? ADMIN.password : PASSWORD;
    if (mode === 'bearer') {
      const res = await call<{ access_token: string }>(`${auth.url}/auth/login`, { body: { email, password } });
      expect(res.status).toBe(200);
      return (path) => call(`${gateway.url}${path}`, { token: res.body.access_token });
    }
    const browser = new Browser(gateway);
    expect((await browser.login(email, password)).status).toBe(200);
    return (path) => browser.send('GET', path);
  }

  describe.each([
    ['user', 'bearer'],
    ['user', 'bff'],
    ['admin', 'bearer'],
    ['admin', 'bff'],
  ] as const)('%s in %s mode', (kind, mode) => {
    it('the token captured at the orders upstream is for orders alone, refused by auth and by profiles', async () => {
      const send = await caller(kind, mode);
      expect((await send('/api/orders/1')).status).toBe(200);
      const captured = lastAt(echoOrders);
      expect(decodeJwt(captured)).toMatchObject({ aud: ['orders'], act: { sub: 'gateway' } });
      expect(String(decodeJwt(captured).scope)).not.toContain('auth:admin');
      expect(await replays(captured, 'profiles')).toMatchObject(refusedEverywhere);
    });

    it('the token captured at the profiles upstream is for profiles alone, refused by auth and by orders', async () => {
      const send = await caller(kind, mode);
      expect((await send('/api/profiles/me')).status).toBe(200);
      const captured = lastAt(echoProfiles);
      expect(decodeJwt(captured)).toMatchObject({ aud: ['profiles'], act: { sub: 'gateway' } });
      expect(await replays(captured, 'orders')).toMatchObject(refusedEverywhere);
    });
  });

  describe('admin power lives only in a short token for auth alone', () => {
    const adminLogin = (): Promise<{ access_token: string; scope: string }> =>
      call<{ access_token: string; scope: string }>(`${auth.url}/auth/login`, { body: ADMIN }).then((r) => r.body);

    it('the admin’s login token carries no auth:admin and is refused at /admin/clients (insufficient_scope)', async () => {
      const login = await adminLogin();
      expect(login.scope.split(' ')).not.toContain('auth:admin');
      expect(await call(`${auth.url}/admin/clients`, { token: login.access_token })).toMatchObject({
        status: 403,
        body: { code: 'insufficient_scope' },
      });
    });

    it('POST /auth/admin-token (at auth: the gateway does not proxy it) gives a short auth-only token that works at /admin/* and nowhere else', async () => {
      const login = await adminLogin();
      // It takes the admin's password: never through the gateway.
      expect(
        (await call(`${gateway.url}/auth/admin-token`, { token: login.access_token, body: { password: ADMIN.password } })).status,
      ).toBe(404);
      const res = await call<{ access_token: string; token_type: string; expires_in: number; scope: string; refresh_token?: string }>(
        `${auth.url}/auth/admin-token`,
        { token: login.access_token, body: { password: ADMIN.password } },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'auth:admin', expires_in: 120 });
      expect(res.body.refresh_token).toBeUndefined();
      const admin = res.body.access_token;
      const claims = decodeJwt(admin);
      expect(claims).toMatchObject({ aud: ['auth'], scope: 'auth:admin', sub: decodeJwt(login.access_token).sub });
      expect(claims.exp! - claims.iat!).toBe(120);
      expect((await call(`${auth.url}/admin/clients`, { token: admin })).status).toBe(200);
      const wrongAudience = { status: 401, body: { code: 'token_wrong_audience' } };
      expect(await call(`${orders.url}/orders`, { token: admin })).toMatchObject(wrongAudience);
      expect(await call(`${profiles.url}/profiles/me`, { token: admin })).toMatchObject(wrongAudience);
      expect(await call(`${gateway.url}/api/orders`, { token: admin })).toMatchObject(wrongAudience);
    });

    it('refuses the admin-token step to a user without auth:admin (403 insufficient_scope) and a wrong password (401 invalid_credentials)', async () => {
      const user = await loginAt(auth.url, await registerUser(auth.url, 'hop-not-admin'));
      expect(await call(`${auth.url}/auth/admin-token`, { token: user.access_token, body: { password: PASSWORD } })).toMatchObject({
        status: 403,
        body: { code: 'insufficient_scope' },
      });
      const login = await adminLogin();
      expect(
        await call(`${auth.url}/auth/admin-token`, { token: login.access_token, body: { password: 'not the password!' } }),
      ).toMatchObject({ status: 401, body: { code: 'invalid_credentials' } });
      expect(await call(`${auth.url}/auth/admin-token`, { token: login.access_token, body: {} })).toMatchObject({
        status: 400,
        body: { code: 'validation_failed', message: expect.stringContaining('password') },
      });
    });

    it('never refreshes auth:admin into an access token, even from a family started when logins carried it', async () => {
      const login = await call<{ access_token: string; refresh_token: string }>(`${auth.url}/auth/login`, { body: ADMIN });
      const db = new pg.Client({ connectionString: auth.databaseUrl });
      await db.connect();
      try {
        // What a family started before this rule looks like.
        await db.query(`UPDATE refresh_families SET scope = scope || ' auth:admin' WHERE user_id = $1`, [
          decodeJwt(login.body.access_token).sub,
        ]);
      } finally {
        await db.end();
      }
      const refreshed = await call<{ access_token: string; scope: string }>(`${auth.url}/oauth/token`, {
        body: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token, client_id: 'authmesh' },
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.scope.split(' ')).not.toContain('auth:admin');
      expect(String(decodeJwt(refreshed.body.access_token).scope)).not.toContain('auth:admin');
      expect(await call(`${auth.url}/admin/clients`, { token: refreshed.body.access_token })).toMatchObject({
        status: 403,
        body: { code: 'insufficient_scope' },
      });
    });

    it('refuses at /admin/* a token with auth:admin whose audience is not auth alone (admin_token_required)', async () => {
      // Signed by auth's own issuer: a token nothing issues any more, as an older login token was.
      const issued = await auth.app.get(AccessTokenIssuer).issue({
        sub: decodeJwt((await adminLogin()).access_token).sub!,
        clientId: 'authmesh',
        audience: ['auth', 'orders'],
        scope: 'auth:admin orders:read',
      });
      const res = await call(`${auth.url}/admin/clients`, { token: issued.token });
      expect(res).toMatchObject({ status: 403, body: { code: 'admin_token_required' } });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="auth:admin"/);
      // …while a client-credentials token for auth alone (what authctl uses) keeps working.
      const cc = await call<{ access_token: string }>(`${auth.url}/oauth/token`, {
        body: { grant_type: 'client_credentials', client_id: OPS_CLIENT.clientId, client_secret: OPS_CLIENT.secret, audience: 'auth' },
      });
      expect(cc.status).toBe(200);
      expect((await call(`${auth.url}/admin/clients`, { token: cc.body.access_token })).status).toBe(200);
    });

    it('refuses an exchanged token (act) at auth’s self-service and admin endpoints, even one for audience auth', async () => {
      const login = await adminLogin();
      const step = await call<{ access_token: string }>(`${auth.url}/auth/admin-token`, {
        token: login.access_token,
        body: { password: ADMIN.password },
      });
      const exchange = async (subject: string, scope: string): Promise<string> => {
        const { headers, body } = form({
          grant_type: EXCHANGE,
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN_TYPE,
          audience: 'auth',
          scope,
        });
        const res = await fetch(`${auth.url}/oauth/token`, {
          method: 'POST',
          headers: { ...headers, authorization: basic(RELAY_CLIENT.clientId, RELAY_CLIENT.secret) },
          body,
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { access_token: string }).access_token;
      };
      // A token for audience auth, with auth:admin, minted by exchange: everything but `act` would pass.
      const exchanged = await exchange(step.body.access_token, 'auth:admin');
      expect(decodeJwt(exchanged)).toMatchObject({ aud: ['auth'], scope: 'auth:admin', act: { sub: RELAY_CLIENT.clientId } });
      const refused = { status: 401, body: { code: 'exchanged_token_refused' } };
      expect(await call(`${auth.url}/admin/clients`, { token: exchanged })).toMatchObject(refused);
      for (const path of ['/auth/logout-all', '/auth/logout', '/auth/admin-token']) {
        expect(await call(`${auth.url}${path}`, { token: exchanged, body: { password: ADMIN.password } })).toMatchObject(refused);
      }
      expect(
        await call(`${auth.url}/auth/password`, {
          token: exchanged,
          body: { currentPassword: ADMIN.password, newPassword: 'another long passphrase' },
        }),
      ).toMatchObject(refused);
      // The user's own token still works there: honest clients are unaffected.
      expect((await call(`${auth.url}/auth/logout`, { token: login.access_token, body: {} })).status).toBe(200);
    });
  });

  describe('GATEWAY_FORWARD_UNCHANGED_ROUTES and outages', () => {
    it('gives a listed route the user’s original token (an explicit choice), and still exchanges the others', async () => {
      const unchanged = await startGateway(
        { auth, ordersUrl: echoOrders.url, profilesUrl: echoProfiles.url },
        { GATEWAY_FORWARD_UNCHANGED_ROUTES: 'profiles' },
      );
      try {
        const user = await loginAt(auth.url, await registerUser(auth.url, 'hop-unchanged'));
        expect((await call(`${unchanged.url}/api/profiles/me`, { token: user.access_token })).status).toBe(200);
        expect(lastAt(echoProfiles)).toBe(user.access_token);
        expect((await call(`${unchanged.url}/api/orders`, { token: user.access_token })).status).toBe(200);
        expect(decodeJwt(lastAt(echoOrders)).aud).toEqual(['orders']);
      } finally {
        await unchanged.close();
      }
    });

    it('answers 503 auth_unavailable with Retry-After when auth can’t be reached for an exchange, never forwarding the wide token', async () => {
      // Verification still works (the JWKS comes from the real auth); only the exchange endpoint is gone.
      const cut = await startGateway({ auth, ordersUrl: echoOrders.url, profilesUrl: echoProfiles.url }, { AUTH_URL: await deadUrl() });
      try {
        const user = await loginAt(auth.url, await registerUser(auth.url, 'hop-outage'));
        const seen = echoOrders.seen.length;
        const res = await call(`${cut.url}/api/orders`, { token: user.access_token });
        expect(res).toMatchObject({ status: 503, body: { code: 'auth_unavailable' } });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(echoOrders.seen.length).toBe(seen);
      } finally {
        await cut.close();
      }
    });
  });

  it('counts wrong admin-token passwords against the login budget of the account (429 too_many_attempts)', async () => {
    const strict = await startAuth({
      AUTH_SEED_ADMIN_EMAIL: ADMIN.email,
      AUTH_SEED_ADMIN_PASSWORD: ADMIN.password,
      AUTH_LOGIN_FREE_FAILURES: '3',
      REDIS_URL: 'memory://',
    });
    try {
      const login = await call<{ access_token: string }>(`${strict.url}/auth/login`, { body: ADMIN });
      const guess = (password: string): Promise<Answer> =>
        call(`${strict.url}/auth/admin-token`, { token: login.body.access_token, body: { password } });
      for (let i = 0; i < 3; i++) expect((await guess(`wrong guess number ${i}`)).status).toBe(401);
      expect(await guess('yet another wrong guess')).toMatchObject({ status: 429, body: { code: 'too_many_attempts' } });
      // The same budget as login: this (account, address) pair waits there too, even with the right password.
      expect(await call(`${strict.url}/auth/login`, { body: ADMIN })).toMatchObject({ status: 429, body: { code: 'too_many_attempts' } });
    } finally {
      await strict.close();
    }
  });
});
