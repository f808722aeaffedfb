import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startApp } from '@authmesh/platform';
import type { TestApp } from '@authmesh/testing';
import { authApp } from '../src/auth.app.js';
import type { AuthConfig } from '../src/config/auth.config.js';
import { MULTI_CLIENT, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

const password = 'correct horse battery';

async function tokenRequest(app: TestApp, values: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  const f = form(values);
  return fetch(`${app.url}/oauth/token`, { method: 'POST', body: f.body, headers: { ...f.headers, ...headers } });
}

async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toEqual({ error, error_description: expect.any(String) });
}

describe('auth: refresh families, keys at rest, brute force and OAuth errors', () => {
  let app: TestApp<AuthConfig>;
  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_ADMIN_EMAIL: 'Admin@Example.com', AUTH_SEED_ADMIN_PASSWORD: 'admin password 123' });
  });
  afterAll(() => app.close());

  async function login(email: string): Promise<{ access_token: string; refresh_token: string }> {
    const res = await post(`${app.url}/auth/login`, { email, password });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; refresh_token: string };
  }

  describe('refresh-token reuse', () => {
    it('answers invalid_grant to a used refresh token, and revokes the newer token of its family too', async () => {
      const email = uniqueEmail('reuse');
      await post(`${app.url}/auth/register`, { email, password });
      const first = await login(email);
      const second = (await (await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).json()) as {
        refresh_token: string;
      };
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: first.refresh_token }),
        400,
        'invalid_grant',
      );
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: second.refresh_token }),
        400,
        'invalid_grant',
      );
      const db = new pg.Client({ connectionString: app.databaseUrl });
      await db.connect();
      const { rows } = await db.query<{ revoked_reason: string }>(
        'SELECT f.revoked_reason FROM refresh_families f JOIN users u ON u.id = f.user_id WHERE u.email = $1',
        [email],
      );
      await db.end();
      expect(rows).toEqual([{ revoked_reason: 'reuse_detected' }]);
    });

    it('treats a token two generations old as reuse', async () => {
      const email = uniqueEmail('gen2');
      await post(`${app.url}/auth/register`, { email, password });
      const t0 = await login(email);
      const t1 = (await (await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t0.refresh_token })).json()) as {
        refresh_token: string;
      };
      const t2 = (await (await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t1.refresh_token })).json()) as {
        refresh_token: string;
      };
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t0.refresh_token }),
        400,
        'invalid_grant',
      );
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t2.refresh_token }),
        400,
        'invalid_grant',
      );
    });

    it('does not touch another login of the same user', async () => {
      const email = uniqueEmail('families');
      await post(`${app.url}/auth/register`, { email, password });
      const a = await login(email);
      const b = await login(email);
      await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: a.refresh_token });
      await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: a.refresh_token }); // reuse kills family a
      expect((await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: b.refresh_token })).status).toBe(200);
    });
  });

  describe('refresh tokens are bound to their client and their scope (review findings)', () => {
    it('refuses a refresh token presented by another client, without spending it', async () => {
      const email = uniqueEmail('bind');
      await post(`${app.url}/auth/register`, { email, password });
      const t = await login(email);
      await expectOAuthError(
        await tokenRequest(
          app,
          { grant_type: 'refresh_token', refresh_token: t.refresh_token },
          { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
        ),
        400,
        'invalid_grant',
      );
      expect((await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t.refresh_token })).status).toBe(200);
    });

    it('checks a requested scope before rotating, and narrows the new access token to it', async () => {
      const email = uniqueEmail('scope');
      await post(`${app.url}/auth/register`, { email, password });
      const t = await login(email);
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'auth:admin' }),
        400,
        'invalid_scope',
      );
      // The refused request spent nothing: the same token still rotates (no false reuse).
      const narrowed = await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'orders:read' });
      expect(narrowed.status).toBe(200);
      const body = (await narrowed.json()) as { scope: string; access_token: string; refresh_token: string };
      expect(body.scope).toBe('orders:read');
      expect(JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()).scope).toBe('orders:read');
      // The family keeps its full scope for the next refresh.
      const next = (await (await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: body.refresh_token })).json()) as {
        scope: string;
      };
      expect(next.scope.split(' ')).toContain('orders:write');
    });
  });

  describe('private keys at rest', () => {
    it('stores only ciphertext of the private key', async () => {
      const db = new pg.Client({ connectionString: app.databaseUrl });
      await db.connect();
      const { rows } = await db.query<{ private_key_enc: Buffer; public_jwk: Record<string, unknown> }>(
        'SELECT private_key_enc, public_jwk FROM signing_keys',
      );
      await db.end();
      expect(rows.length).toBe(1);
      const blob = rows[0]!.private_key_enc;
      // A PKCS#8 DER key starts with SEQUENCE (0x30 0x82); ours starts with the envelope version.
      expect(blob[0]).toBe(1);
      expect(blob.subarray(29, 31).equals(Buffer.from([0x30, 0x82]))).toBe(false);
      expect(blob.includes(Buffer.from('rsaEncryption'))).toBe(false);
      expect(Object.keys(rows[0]!.public_jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    });

    it('refuses to start with a wrong AUTH_KEK, naming it, and does not create a new key', async () => {
      const env = {
        AUTH_DATABASE_URL: app.databaseUrl,
        REDIS_URL: 'redis://127.0.0.1:6379',
        PORT: '0',
        LOG_LEVEL: 'silent',
        AUTH_KEK: randomBytes(32).toString('base64'),
      };
      await expect(startApp(authApp, env, { quiet: true })).rejects.toThrow(/AUTH_KEK: does not decrypt signing key/);
      const db = new pg.Client({ connectionString: app.databaseUrl });
      await db.connect();
      const { rows } = await db.query('SELECT kid FROM signing_keys');
      await db.end();
      expect(rows.length).toBe(1);
    });

    it('refuses to start without AUTH_KEK, or with one that is not 32 bytes', async () => {
      const env = { AUTH_DATABASE_URL: app.databaseUrl, REDIS_URL: 'redis://127.0.0.1:6379', PORT: '0', LOG_LEVEL: 'silent' };
      await expect(startApp(authApp, env, { quiet: true })).rejects.toThrow(/AUTH_KEK: is required/);
      await expect(startApp(authApp, { ...env, AUTH_KEK: 'c2hvcnQ=' }, { quiet: true })).rejects.toThrow(/AUTH_KEK: must be 32 bytes/);
    });
  });

  describe('users', () => {
    it('normalises emails: a differently-cased duplicate is the same account, answered like a new one and left unchanged', async () => {
      const email = uniqueEmail('norm');
      expect((await post(`${app.url}/auth/register`, { email, password })).status).toBe(202);
      const dup = await post(`${app.url}/auth/register`, { email: `  ${email.toUpperCase()} `, password: 'another long passphrase' });
      expect(dup.status).toBe(202);
      expect(await dup.json()).toEqual({ status: 'accepted' });
      expect((await post(`${app.url}/auth/login`, { email, password })).status).toBe(200);
      expect((await post(`${app.url}/auth/login`, { email, password: 'another long passphrase' })).status).toBe(401);
    });

    it('rejects a short password and a common one with 400 naming the field', async () => {
      for (const pw of ['short', 'password1234']) {
        const res = await post(`${app.url}/auth/register`, { email: uniqueEmail('pw'), password: pw });
        expect(res.status).toBe(400);
        const body = (await res.json()) as { code: string; details: { fields: { field: string }[] } };
        expect(body.code).toBe('validation_failed');
        expect(body.details.fields.map((f) => f.field)).toEqual(['password']);
      }
    });

    it('answers a wrong email and a wrong password identically, in comparable time', async () => {
      const email = uniqueEmail('enum');
      await post(`${app.url}/auth/register`, { email, password });
      const time = async (body: unknown): Promise<[number, string, number]> => {
        const t = performance.now();
        const res = await post(`${app.url}/auth/login`, body);
        const text = (await res.text()).replace(/"requestId":"[^"]+"/, '');
        return [res.status, text, performance.now() - t];
      };
      const wrongPw: number[] = [];
      const wrongEmail: number[] = [];
      for (let i = 0; i < 4; i++) {
        const a = await time({ email, password: 'not the password!' });
        const b = await time({ email: uniqueEmail('nobody'), password: 'not the password!' });
        expect(a[0]).toBe(401);
        expect(a.slice(0, 2)).toEqual(b.slice(0, 2));
        wrongPw.push(a[2]);
        wrongEmail.push(b[2]);
      }
      const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      // Both paths run one argon2id verification; without the dummy hash the unknown email would be ~10x faster.
      expect(median(wrongEmail)).toBeGreaterThan(median(wrongPw) * 0.4);
    });

    it('answers the attempt after 5 consecutive failures from one address with 429 and Retry-After', async () => {
      const email = uniqueEmail('brute');
      await post(`${app.url}/auth/register`, { email, password });
      for (let i = 0; i < 5; i++) expect((await post(`${app.url}/auth/login`, { email, password: `wrong guess ${i}!` })).status).toBe(401);
      const blocked = await post(`${app.url}/auth/login`, { email, password });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await blocked.json()).toMatchObject({ code: 'too_many_attempts' });
      // Another account is not affected.
      const parallel = uniqueEmail('parallel');
      await post(`${app.url}/auth/register`, { email: parallel, password });
      // Guesses sent in parallel can't slip past the limit while argon2 runs (attempts are taken first).
      const statuses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          post(`${app.url}/auth/login`, { email: parallel, password: `parallel guess ${i}!` }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((x) => x === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(25);
      const other = uniqueEmail('other');
      await post(`${app.url}/auth/register`, { email: other, password });
      expect((await post(`${app.url}/auth/login`, { email: other, password })).status).toBe(200);
    });

    it('seeds the first admin from the environment; auth:admin comes from the admin-token step, not the login token', async () => {
      const res = await post(`${app.url}/auth/login`, { email: 'admin@example.com', password: 'admin password 123' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { scope: string; access_token: string };
      expect(body.scope.split(' ')).not.toContain('auth:admin');
      const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString()) as { aud: string[] };
      expect(claims.aud).toContain('auth');
      const step = await post(
        `${app.url}/auth/admin-token`,
        { password: 'admin password 123' },
        { authorization: `Bearer ${body.access_token}` },
      );
      expect(step.status).toBe(200);
      const admin = (await step.json()) as { scope: string; access_token: string };
      expect(admin.scope).toBe('auth:admin');
      expect(JSON.parse(Buffer.from(admin.access_token.split('.')[1]!, 'base64url').toString())).toMatchObject({ aud: ['auth'] });
    });
  });

  describe('OAuth errors (RFC 6749 §5.2)', () => {
    const ordersAuth = { authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) };

    it('invalid_request: no grant_type', async () => {
      await expectOAuthError(await tokenRequest(app, {}, ordersAuth), 400, 'invalid_request');
    });

    it('invalid_request: a repeated parameter', async () => {
      const res = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...ordersAuth },
        body: 'grant_type=client_credentials&scope=a&scope=b',
      });
      await expectOAuthError(res, 400, 'invalid_request');
    });

    it('invalid_request: two client authentication methods at once', async () => {
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'client_credentials', client_secret: ORDERS_CLIENT.secret }, ordersAuth),
        400,
        'invalid_request',
      );
    });

    it('invalid_client: 401 with WWW-Authenticate for a wrong secret, an unknown client and no credentials', async () => {
      const cases: Record<string, string>[] = [
        { authorization: basic('orders', 'wrong-secret-xxxxxxxx') },
        { authorization: basic('nobody', 'whatever-secret-xx') },
        {},
      ];
      for (const headers of cases) {
        const res = await tokenRequest(app, { grant_type: 'client_credentials' }, headers);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="authmesh"/);
        await expectOAuthError(res, 401, 'invalid_client');
      }
    });

    it('invalid_client: a malformed Basic header', async () => {
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: 'Basic !!!' }),
        401,
        'invalid_client',
      );
    });

    it('invalid_grant: an unknown refresh token', async () => {
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: 'not-a-real-token' }),
        400,
        'invalid_grant',
      );
    });

    it('unsupported_grant_type: password (and implicit-era names)', async () => {
      for (const grant_type of ['password', 'implicit'])
        await expectOAuthError(await tokenRequest(app, { grant_type }, ordersAuth), 400, 'unsupported_grant_type');
    });

    it('unauthorized_client: authorization_code for a client not registered for it', async () => {
      await expectOAuthError(
        await tokenRequest(
          app,
          { grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://x.example/cb', code_verifier: 'v' },
          ordersAuth,
        ),
        400,
        'unauthorized_client',
      );
    });

    it('invalid_scope: a scope the client may not have', async () => {
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'client_credentials', scope: 'profiles:read orders:write' }, ordersAuth),
        400,
        'invalid_scope',
      );
    });

    it('invalid_target: an audience the client may not have; invalid_request when it must choose one', async () => {
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'client_credentials', audience: 'orders' }, ordersAuth),
        400,
        'invalid_target',
      );
      await expectOAuthError(
        await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: basic(MULTI_CLIENT.clientId, MULTI_CLIENT.secret) }),
        400,
        'invalid_request',
      );
    });

    it('never answers a hostile body with a 500', async () => {
      for (const body of [
        '[1,2]',
        '"str"',
        '{"grant_type":{"$ne":1}}',
        '{"grant_type":"client_credentials","client_id":["a"],"client_secret":"x"}',
      ]) {
        const res = await fetch(`${app.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    });
  });
});
