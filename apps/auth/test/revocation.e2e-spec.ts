import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { RevocationKeyspace } from '@authmesh/revocation';
import pg from 'pg';
import { OwnedRedis, type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ORDERS_CLIENT, basic, form, isActive, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

/** The names auth's store gives the blocklist in Redis (one hash tag, see RevocationKeyspace). */
const keyspace = new RevocationKeyspace();

const password = 'correct horse battery';
const ADMIN = { email: 'root@example.com', password: 'root password 1234' };

interface Tokens {
  access_token: string;
  refresh_token: string;
}

describe('auth: revocation endpoints, and the outbox that survives a Redis outage', () => {
  let redis: OwnedRedis;
  let app: TestApp<AuthConfig>;
  let probe: Redis;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    app = await newAuthApp({ REDIS_URL: redis.url, AUTH_SEED_ADMIN_EMAIL: ADMIN.email, AUTH_SEED_ADMIN_PASSWORD: ADMIN.password });
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    await probe.connect();
  });
  afterAll(async () => {
    probe?.disconnect();
    await app?.close();
    await redis?.stop();
  });

  async function user(): Promise<{ email: string; tokens: Tokens }> {
    const email = uniqueEmail('rev');
    await post(`${app.url}/auth/register`, { email, password });
    const res = await post(`${app.url}/auth/login`, { email, password });
    return { email, tokens: (await res.json()) as Tokens };
  }
  const login = async (email: string, pw = password): Promise<Response> => post(`${app.url}/auth/login`, { email, password: pw });
  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  /** auth:admin never rides in a login token: the admin's login token, then the admin-token step (password re-entered). */
  async function adminToken(): Promise<{ access_token: string }> {
    const loggedIn = (await (await login(ADMIN.email, ADMIN.password)).json()) as Tokens;
    const res = await post(`${app.url}/auth/admin-token`, { password: ADMIN.password }, bearer(loggedIn.access_token));
    if (res.status !== 200) throw new Error(`admin-token answered ${res.status}`);
    return (await res.json()) as { access_token: string };
  }
  const introspect = (token: string): Promise<boolean> => isActive(app.url, token);
  const refresh = async (refresh_token: string): Promise<Response> => {
    const f = form({ grant_type: 'refresh_token', refresh_token });
    return fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: f.headers });
  };

  it('logout revokes the current access token (blocklisted with a TTL) and its refresh family', async () => {
    const { tokens } = await user();
    const res = await post(`${app.url}/auth/logout`, {}, bearer(tokens.access_token));
    expect(res.status).toBe(200);
    const { jti, exp } = decodeJwt(tokens.access_token);
    const ttl = await probe.pttl(keyspace.jtiKey(jti!));
    expect(ttl).toBeGreaterThan(0);
    // exp + the most tolerance any verifier may have (300 s), not auth's own 30 s.
    expect(ttl).toBeGreaterThan((exp! + 290) * 1000 - Date.now());
    expect(ttl).toBeLessThanOrEqual((exp! + 300) * 1000 - Date.now() + 1000);
    expect(await introspect(tokens.access_token)).toBe(false);
    expect((await refresh(tokens.refresh_token)).status).toBe(400);
  });

  it('logout-all revokes the subject and every refresh family; another user is untouched', async () => {
    const a = await user();
    const a2 = (await (await login(a.email)).json()) as Tokens;
    const b = await user();
    expect((await post(`${app.url}/auth/logout-all`, {}, bearer(a.tokens.access_token))).status).toBe(200);
    const sub = decodeJwt(a.tokens.access_token).sub!;
    expect(Number(await probe.get(keyspace.subKey(sub!)))).toBeGreaterThan(0);
    expect(await probe.pttl(keyspace.subKey(sub!))).toBeGreaterThan(0);
    for (const t of [a.tokens, a2]) {
      expect(await introspect(t.access_token)).toBe(false);
      expect((await refresh(t.refresh_token)).status).toBe(400);
    }
    expect(await introspect(b.tokens.access_token)).toBe(true);
    expect((await refresh(b.tokens.refresh_token)).status).toBe(200);
  });

  it('a logged-out token can no longer call auth (it is revoked at auth too)', async () => {
    const { tokens } = await user();
    await post(`${app.url}/auth/logout`, {}, bearer(tokens.access_token));
    const again = await post(`${app.url}/auth/logout-all`, {}, bearer(tokens.access_token));
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'token_revoked' });
  });

  it('RFC 7009: a client revokes its own access token; unknown tokens and other clients’ tokens answer 200 and change nothing', async () => {
    const f = form({ grant_type: 'client_credentials' });
    const issued = (await (
      await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
      })
    ).json()) as { access_token: string };
    const revoke = async (token: string, auth: string, hint?: string): Promise<Response> => {
      const body = form({ token, ...(hint ? { token_type_hint: hint } : {}) });
      return fetch(`${app.url}/oauth/revoke`, { method: 'POST', body: body.body, headers: { ...body.headers, authorization: auth } });
    };
    const { tokens } = await user();
    // orders may not revoke a user's token: 200, but it stays valid.
    expect((await revoke(tokens.access_token, basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret))).status).toBe(200);
    expect(await introspect(tokens.access_token)).toBe(true);
    expect((await revoke('no-such-token', basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret))).status).toBe(200);
    const own = await revoke(issued.access_token, basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret), 'access_token');
    expect(own.status).toBe(200);
    expect(await introspect(issued.access_token)).toBe(false);
    const unauthenticated = await revoke(issued.access_token, basic(ORDERS_CLIENT.clientId, 'wrong-secret-xxxxxxx'));
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('RFC 7009: the first-party public client revokes a refresh token, which revokes its family', async () => {
    const { tokens } = await user();
    const body = form({ token: tokens.refresh_token, token_type_hint: 'refresh_token', client_id: 'authmesh' });
    expect((await fetch(`${app.url}/oauth/revoke`, { method: 'POST', ...body })).status).toBe(200);
    expect((await refresh(tokens.refresh_token)).status).toBe(400);
    expect(await introspect(tokens.access_token)).toBe(false);
  });

  it('refresh-token reuse also blocklists the live access tokens of the family', async () => {
    const { tokens } = await user();
    const next = (await (await refresh(tokens.refresh_token)).json()) as Tokens;
    expect((await refresh(tokens.refresh_token)).status).toBe(400);
    expect(await introspect(next.access_token)).toBe(false);
  });

  it('admin: POST /admin/revocations needs auth:admin, and revokes by { jti, exp } or { sub }', async () => {
    const { tokens } = await user();
    const forbidden = await post(`${app.url}/admin/revocations`, { sub: 'x' }, bearer(tokens.access_token));
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'insufficient_scope' });
    const admin = await adminToken();
    const { jti, exp, sub } = decodeJwt(tokens.access_token);
    const byJti = await post(`${app.url}/admin/revocations`, { jti, exp }, bearer(admin.access_token));
    expect(byJti.status).toBe(200);
    expect(await introspect(tokens.access_token)).toBe(false);
    const other = await user();
    expect(
      (await post(`${app.url}/admin/revocations`, { sub: decodeJwt(other.tokens.access_token).sub }, bearer(admin.access_token))).status,
    ).toBe(200);
    expect(await introspect(other.tokens.access_token)).toBe(false);
    // A service client's subject (its client_id, not a user uuid) can be revoked too.
    const f = form({ grant_type: 'client_credentials' });
    const svc = (await (
      await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
      })
    ).json()) as { access_token: string };
    expect((await post(`${app.url}/admin/revocations`, { sub: ORDERS_CLIENT.clientId }, bearer(admin.access_token))).status).toBe(200);
    expect(await introspect(svc.access_token)).toBe(false);
    const bad = await post(`${app.url}/admin/revocations`, { jti, sub }, bearer(admin.access_token));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('password change and account disable revoke the subject', async () => {
    const a = await user();
    const changed = await post(
      `${app.url}/auth/password`,
      { currentPassword: password, newPassword: 'a brand new passphrase' },
      bearer(a.tokens.access_token),
    );
    expect(changed.status).toBe(200);
    expect(await introspect(a.tokens.access_token)).toBe(false);
    expect((await login(a.email)).status).toBe(401);

    const b = await user();
    const admin = await adminToken();
    const id = decodeJwt(b.tokens.access_token).sub!;
    expect((await post(`${app.url}/admin/users/${id}/disable`, {}, bearer(admin.access_token))).status).toBe(200);
    expect(await introspect(b.tokens.access_token)).toBe(false);
    expect((await login(b.email)).status).toBe(401);
  });

  it('accepts revocations while Redis is down (200), keeps them in the Postgres outbox, and replays them when Redis is back', async () => {
    const users = await Promise.all([user(), user(), user()]);
    const admin = await adminToken();
    await redis.stop();
    // logout, logout-all and an admin revocation, all while Redis is gone.
    expect((await post(`${app.url}/auth/logout`, {}, bearer(users[0]!.tokens.access_token))).status).toBe(200);
    expect((await post(`${app.url}/auth/logout-all`, {}, bearer(users[1]!.tokens.access_token))).status).toBe(200);
    const { jti, exp } = decodeJwt(users[2]!.tokens.access_token);
    expect((await post(`${app.url}/admin/revocations`, { jti, exp }, bearer(admin.access_token))).status).toBe(200);
    // Logging in still works: the failed-login limits fall back to memory, not to a 503.
    expect((await login(users[0]!.email)).status).toBe(200);
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    const pending = async (): Promise<number> =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM revocation_outbox WHERE delivered_at IS NULL')).rows[0]!.n);
    expect(await pending()).toBeGreaterThanOrEqual(3);
    await redis.start();
    await waitFor(async () => (await pending()) === 0, 20_000, 200);
    await db.end();
    if (probe.status !== 'ready') await waitFor(() => probe.status === 'ready', 10_000);
    expect(await probe.exists(keyspace.jtiKey(decodeJwt(users[0]!.tokens.access_token).jti!))).toBe(1);
    expect(await probe.exists(keyspace.subKey(decodeJwt(users[1]!.tokens.access_token).sub!))).toBe(1);
    expect(await probe.exists(keyspace.jtiKey(jti!))).toBe(1);
    expect(await introspect(users[2]!.tokens.access_token)).toBe(false);
  });

  it('writes no blocklist entry for an already-expired token', async () => {
    const admin = await adminToken();
    const jti = randomBytes(8).toString('hex');
    expect(
      (await post(`${app.url}/admin/revocations`, { jti, exp: Math.floor(Date.now() / 1000) - 3600 }, bearer(admin.access_token))).status,
    ).toBe(200);
    expect(await probe.exists(keyspace.jtiKey(jti!))).toBe(0);
  });
});
