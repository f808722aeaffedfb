import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { ensureDatabaseExists } from '@authmesh/platform';
import { OwnedPostgres, type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ORDERS_CLIENT, basic, form, newAuthApp, uniqueEmail } from './auth-fixture.js';

const password = 'correct horse battery';
/** An ops client (like authctl's) whose tokens reach the admin API. */
const ADMIN_CLIENT = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin', 'auth:introspect'],
  audiences: ['auth'],
};
/** A client the operator disables just before the database goes away. */
const DOOMED_CLIENT = {
  clientId: 'doomed',
  secret: 'doomed-secret-0123456789AbCdEfGhIjKl',
  scopes: ['orders:read'],
  audiences: ['orders'],
};
/** Bound on one answer while Postgres is stopped: DB_CONNECT_TIMEOUT_MS (1 s here) plus the slack of a loaded 2-core machine. */
const ANSWER_BOUND_MS = 4000;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/**
 * Auth with a PostgreSQL the test owns, stopped under load: what needs the database answers 503
 * with Retry-After (never a 500), client credentials keep issuing from the cached client records,
 * and everything works again once Postgres is back, without a restart, with nothing lost.
 */
describe('auth while its PostgreSQL is stopped', () => {
  let pg: OwnedPostgres;
  let app: TestApp<AuthConfig>;
  /** Every status auth answered in this file, to prove no 500 ever left it. */
  const statuses: number[] = [];

  beforeAll(async () => {
    pg = await OwnedPostgres.start();
    app = await newAuthApp({
      AUTH_DATABASE_URL: pg.url(),
      DB_CONNECT_TIMEOUT_MS: '1000',
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, ADMIN_CLIENT, DOOMED_CLIENT]),
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await pg?.destroy();
  });

  async function send(
    method: string,
    path: string,
    init: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form !== undefined) {
      const f = form(init.form);
      Object.assign(headers, f.headers);
      body = f.body;
    }
    const res = await fetch(`${app.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    statuses.push(res.status);
    return res;
  }
  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const register = (email: string): Promise<Response> => send('POST', '/auth/register', { json: { email, password } });
  const login = (email: string): Promise<Response> => send('POST', '/auth/login', { json: { email, password } });
  const refresh = (refreshToken: string): Promise<Response> =>
    send('POST', '/oauth/token', { form: { grant_type: 'refresh_token', refresh_token: refreshToken } });
  const logout = (accessToken: string): Promise<Response> => send('POST', '/auth/logout', { json: {}, headers: bearer(accessToken) });
  const clientCredentials = (client: { clientId: string; secret: string }, extra: Record<string, string> = {}): Promise<Response> =>
    send('POST', '/oauth/token', {
      form: { grant_type: 'client_credentials', ...extra },
      headers: { authorization: basic(client.clientId, client.secret) },
    });
  async function adminToken(): Promise<string> {
    const res = await clientCredentials(ADMIN_CLIENT, { audience: 'auth', scope: 'auth:admin' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  async function newUser(): Promise<{ email: string; tokens: Tokens }> {
    const email = uniqueEmail('outage');
    expect((await register(email)).status).toBe(202);
    const res = await login(email);
    expect(res.status).toBe(200);
    return { email, tokens: (await res.json()) as Tokens };
  }
  /** RFC 7662 as the ops client: is the token still accepted (signature, expiry, revocation)? */
  async function active(token: string): Promise<boolean> {
    const res = await send('POST', '/oauth/introspect', {
      form: { token },
      headers: { authorization: basic(ADMIN_CLIENT.clientId, ADMIN_CLIENT.secret) },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { active: boolean }).active;
  }

  /** A 503 that tells the client to come back: Retry-After, and the code in the route's error shape. */
  async function expectUnavailable(res: Response, shape: 'json' | 'oauth'): Promise<void> {
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await res.json()) as Record<string, unknown>;
    if (shape === 'oauth') expect(body).toMatchObject({ error: 'temporarily_unavailable' });
    else expect(body).toMatchObject({ code: 'database_unavailable' });
  }

  it('answers 503 with Retry-After to what needs the database, keeps issuing client credentials, and recovers without a restart', async () => {
    // Before the outage: sessions, a logout that must hold, and clients auth has read.
    const alice = await newUser();
    const bob = await newUser();
    const carol = await newUser();
    expect((await logout(bob.tokens.access_token)).status).toBe(200);
    expect((await clientCredentials(ORDERS_CLIENT)).status).toBe(200);
    expect((await clientCredentials(DOOMED_CLIENT)).status).toBe(200);
    const admin = await adminToken();
    const disabled = await send('POST', `/admin/clients/${DOOMED_CLIENT.clientId}/disable`, { headers: bearer(admin) });
    expect(disabled.status).toBe(200);

    await pg.stop();

    // Under load: every kind of request at once, a few rounds.
    for (let round = 0; round < 3; round++) {
      const started = Date.now();
      const email = uniqueEmail(`down-${round}`);
      const [reg, log, ref, out, list, revoke, disableUser, cc, doomed] = await Promise.all([
        register(email),
        login(alice.email),
        refresh(alice.tokens.refresh_token),
        logout(alice.tokens.access_token),
        send('GET', '/admin/clients', { headers: bearer(admin) }),
        send('POST', '/admin/revocations', { json: { sub: decodeJwt(carol.tokens.access_token).sub }, headers: bearer(admin) }),
        send('POST', `/admin/users/${decodeJwt(carol.tokens.access_token).sub}/disable`, { headers: bearer(admin) }),
        clientCredentials(ORDERS_CLIENT),
        clientCredentials(DOOMED_CLIENT),
      ]);
      expect(Date.now() - started).toBeLessThan(ANSWER_BOUND_MS);
      for (const res of [reg, log, out, list, revoke, disableUser]) await expectUnavailable(res, 'json');
      await expectUnavailable(ref, 'oauth');
      // A client auth already knows keeps getting tokens: service-to-service calls survive the blip.
      expect(cc.status).toBe(200);
      expect(decodeJwt(((await cc.json()) as { access_token: string }).access_token)).toMatchObject({ sub: ORDERS_CLIENT.clientId });
      // ...but not one disabled just before the outage.
      expect(doomed.status).toBe(401);
      expect(await doomed.json()).toMatchObject({ error: 'invalid_client' });
    }
    // What is served from memory: the keys and the discovery documents.
    expect((await send('GET', '/.well-known/jwks.json')).status).toBe(200);
    expect((await send('GET', '/.well-known/openid-configuration')).status).toBe(200);
    // A client auth never read is not guessed at: 503, not 401.
    await expectUnavailable(await clientCredentials({ clientId: 'never-seen', secret: randomBytes(12).toString('hex') }), 'oauth');
    // The logout done before the outage holds while the database is away.
    const stillRevoked = await logout(bob.tokens.access_token);
    expect(stillRevoked.status).toBe(401);
    expect(await stillRevoked.json()).toMatchObject({ code: 'token_revoked' });

    await pg.start();

    // Back without a restart.
    await waitFor(async () => (await login(alice.email)).status === 200, 20_000, 250);
    expect((await refresh(alice.tokens.refresh_token)).status).toBe(200);
    expect((await newUser()).tokens.access_token).toEqual(expect.any(String));
    expect((await send('GET', '/admin/clients', { headers: bearer(admin) })).status).toBe(200);
    expect((await clientCredentials(ORDERS_CLIENT)).status).toBe(200);
    // Nothing accepted before the outage is lost: the logout, the disabled client.
    expect(await active(bob.tokens.access_token)).toBe(false);
    expect((await clientCredentials(DOOMED_CLIENT)).status).toBe(401);
    // Nothing refused during it was half-done: carol's revocation and disable answered 503, and did not happen.
    expect(await active(carol.tokens.access_token)).toBe(true);
    expect((await logout(alice.tokens.access_token)).status).toBe(200);
    expect(await active(alice.tokens.access_token)).toBe(false);

    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
  }, 90_000);

  it('stops serving a cached client once its record is older than AUTH_CLIENT_CACHE_MAX_STALE_S', async () => {
    await ensureDatabaseExists(pg.url('auth_stale'));
    const short = await newAuthApp({
      AUTH_DATABASE_URL: pg.url('auth_stale'),
      DB_CONNECT_TIMEOUT_MS: '1000',
      AUTH_CLIENT_CACHE_MAX_STALE_S: '1',
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT]),
    });
    const f = form({ grant_type: 'client_credentials' });
    const headers = { ...f.headers, authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) };
    const cc = async (): Promise<Response> => {
      const res = await fetch(`${short.url}/oauth/token`, { method: 'POST', body: f.body, headers });
      statuses.push(res.status);
      return res;
    };
    try {
      expect((await cc()).status).toBe(200);
      await pg.stop();
      expect((await cc()).status).toBe(200);
      // Past the bound (1 s here; the staleness rule itself is unit-tested on a fake clock).
      await new Promise((r) => setTimeout(r, 1100));
      const stale = await cc();
      expect(stale.status).toBe(503);
      expect(stale.headers.get('retry-after')).toBe('5');
      expect(await stale.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await pg.start();
      await short.close();
    }
    expect(statuses.filter((s) => s >= 500 && s !== 503)).toEqual([]);
  }, 60_000);
});
