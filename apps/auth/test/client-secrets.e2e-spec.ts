import { randomBytes, randomInt } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import pg from 'pg';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ConfigError, forwardedForProof, startApp } from '@authmesh/platform';
import type { TestApp } from '@authmesh/testing';
import { authApp } from '../src/auth.app.js';
import type { AuthConfig } from '../src/config/auth.config.js';
import { basic, form, newAuthApp, post } from './auth-fixture.js';

const PROXY_SECRET = randomBytes(32).toString('base64url');
/** Client ids and addresses of their own per run: the failure budgets live in the Redis every test file (and the last run) shares. */
const run = randomBytes(3).toString('hex');
const ADMIN = { clientId: `cs-admin-${run}`, secret: randomBytes(32).toString('base64url'), scopes: ['auth:admin'], audiences: ['auth'] };
const SERVICE = {
  clientId: `cs-svc-${run}`,
  secret: randomBytes(32).toString('base64url'),
  scopes: ['orders:read'],
  audiences: ['orders'],
};
/** Clients that never authenticate before a budget holds them: a success would make the test's connection peer known to them. */
const GUESSED = {
  clientId: `cs-guessed-${run}`,
  secret: randomBytes(32).toString('base64url'),
  scopes: ['orders:read'],
  audiences: ['orders'],
};
const GUESSED_AT_ADDRESS = { ...GUESSED, clientId: `cs-guessed2-${run}` };
const OTHER = {
  clientId: `cs-other-${run}`,
  secret: randomBytes(32).toString('base64url'),
  scopes: ['orders:read'],
  audiences: ['orders'],
};
/** An address in 198.18.0.0/15 (RFC 2544 benchmarking), fresh for each call. */
const base = randomInt(0, 250);
let n = 0;
const freshAddress = (): string => `198.${18 + (base % 2)}.${base}.${++n}`;

/**
 * Client secrets checked by HMAC (docs/decisions/008-client-secrets-keyed-hash.md) over HTTP: the
 * migration of argon2 rows, the 128-bit rule on operator-supplied secrets, and the failure budgets
 * of client authentication. Auth sits behind a proxy that proves each X-Forwarded-For it sends
 * (AUTH_PROXY_SECRET), so a request can come from an address of its own.
 */
describe('auth: client secrets (keyed hash, strength rule, failure budgets)', () => {
  let app: TestApp<AuthConfig>;
  beforeAll(async () => {
    app = await newAuthApp({
      AUTH_PROXY_SECRET: PROXY_SECRET,
      AUTH_SEED_CLIENTS: JSON.stringify([ADMIN, SERVICE, OTHER, GUESSED, GUESSED_AT_ADDRESS]),
      AUTH_CLIENT_MAX_FAILURES: '3',
      AUTH_CLIENT_MAX_FAILURES_PER_ADDRESS: '4',
      AUTH_CLIENT_FAILURE_WINDOW_S: '600',
    });
  });
  afterAll(() => app?.close());

  const from = (address: string): Record<string, string> => ({
    'x-forwarded-for': address,
    'x-authmesh-forwarded-for-proof': forwardedForProof(PROXY_SECRET, address),
  });
  function clientCredentials(id: string, secret: string, address = freshAddress(), extra: Record<string, string> = {}): Promise<Response> {
    const f = form({ grant_type: 'client_credentials', ...extra });
    return fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, ...from(address), authorization: basic(id, secret) },
    });
  }
  async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<T[]> {
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      return (await db.query<T>(sql, values)).rows;
    } finally {
      await db.end();
    }
  }
  const storedHash = async (clientId: string): Promise<string> =>
    (await query<{ secret_hash: string }>('SELECT secret_hash FROM clients WHERE client_id = $1', [clientId]))[0]!.secret_hash;

  describe('stored form and migration', () => {
    it('stores a seeded secret as hmac-sha256$v1$<MAC>, never the secret nor an argon2 hash', async () => {
      const stored = await storedHash(SERVICE.clientId);
      expect(stored).toMatch(/^hmac-sha256\$v1\$[A-Za-z0-9_-]{43}$/);
      expect(stored).not.toContain(SERVICE.secret);
    });

    it('authenticates a client whose row still holds a legacy argon2id hash once with argon2, then its row holds the HMAC form', async () => {
      const legacy = { clientId: `cs-legacy-${run}`, secret: randomBytes(32).toString('base64url') };
      const argon2 = await argon2Hash(legacy.secret, { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 });
      await query("INSERT INTO clients (client_id, secret_hash, scopes, audiences) VALUES ($1, $2, '{orders:read}', '{orders}')", [
        legacy.clientId,
        argon2,
      ]);
      // A wrong secret against the legacy row: refused, the row untouched.
      expect((await clientCredentials(legacy.clientId, 'x'.repeat(43))).status).toBe(401);
      expect(await storedHash(legacy.clientId)).toBe(argon2);
      const address = freshAddress();
      const first = await clientCredentials(legacy.clientId, legacy.secret, address);
      expect(first.status).toBe(200);
      const upgraded = await storedHash(legacy.clientId);
      expect(upgraded).toMatch(/^hmac-sha256\$v1\$[A-Za-z0-9_-]{43}$/);
      // The HMAC row now serves the same secret (from the cache's re-read too), and still refuses a wrong one.
      expect((await clientCredentials(legacy.clientId, legacy.secret, address)).status).toBe(200);
      expect((await clientCredentials(legacy.clientId, `${legacy.secret}x`)).status).toBe(401);
      expect(await storedHash(legacy.clientId)).toBe(upgraded);
    });

    it('keeps the argon2 hash of a legacy secret that fails the 128-bit rule, and warns naming the client, never the secret', async () => {
      // 16 characters: what AUTH_SEED_CLIENTS accepted before the rule; under the fast hash it would fall to a dictionary.
      const weak = { clientId: `cs-weak-${run}`, secret: 'orders-secret-16' };
      const argon2 = await argon2Hash(weak.secret, { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 });
      await query("INSERT INTO clients (client_id, secret_hash, scopes, audiences) VALUES ($1, $2, '{orders:read}', '{orders}')", [
        weak.clientId,
        argon2,
      ]);
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        const address = freshAddress();
        expect((await clientCredentials(weak.clientId, weak.secret, address)).status).toBe(200);
        expect(await storedHash(weak.clientId)).toBe(argon2);
        expect((await clientCredentials(weak.clientId, weak.secret, address)).status).toBe(200);
        expect(await storedHash(weak.clientId)).toBe(argon2);
        const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(weak.clientId));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/rotate/);
        expect(lines[0]).not.toContain(weak.secret);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('operator-supplied secrets carry 128 bits', () => {
    it('refuses to start with a weak secret in AUTH_SEED_CLIENTS, naming the variable and the client, never the secret', async () => {
      const weak = 'orders-secret-0123456789';
      const env = {
        AUTH_DATABASE_URL: app.databaseUrl,
        REDIS_URL: 'redis://127.0.0.1:6379',
        PORT: '0',
        LOG_LEVEL: 'silent',
        AUTH_KEK: randomBytes(32).toString('base64'),
        AUTH_SEED_CLIENTS: JSON.stringify([{ clientId: 'weakling', secret: weak, scopes: [], audiences: ['orders'] }]),
      };
      const error = await startApp(authApp, env, { quiet: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toContain('AUTH_SEED_CLIENTS: client "weakling": secret must be at least 32 characters (it has 24)');
      expect(problems.join('\n')).not.toContain(weak);
    });

    it('takes no secret at the admin API (auth generates each, 256 random bits): 400 naming the field secret', async () => {
      const token = await clientCredentials(ADMIN.clientId, ADMIN.secret, freshAddress(), { audience: 'auth', scope: 'auth:admin' });
      expect(token.status).toBe(200);
      const { access_token } = (await token.json()) as { access_token: string };
      const res = await post(
        `${app.url}/admin/clients`,
        { clientId: `cs-weak-${run}`, scopes: ['orders:read'], audiences: ['orders'], secret: 'hunter2' },
        { authorization: `Bearer ${access_token}` },
      );
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; details: { fields: { field: string }[] } };
      expect(body.code).toBe('validation_failed');
      expect(body.details.fields.map((f) => f.field)).toEqual(['secret']);
    });
  });

  describe('failure budgets', () => {
    async function expectTooManyAttempts(res: Response): Promise<void> {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await res.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'Too many failed client authentication attempts; try again later',
      });
    }

    it("refuses a client's authentication once it took 3 wrong secrets (429, Retry-After), the right secret too", async () => {
      // Three guessers, each from an address of its own (a botnet: the per-address budget holds none of them).
      for (let i = 0; i < 3; i++)
        expect((await clientCredentials(GUESSED.clientId, randomBytes(32).toString('base64url'))).status).toBe(401);
      await expectTooManyAttempts(await clientCredentials(GUESSED.clientId, randomBytes(32).toString('base64url')));
      // No oracle: past the budget the right secret is refused the same way.
      await expectTooManyAttempts(await clientCredentials(GUESSED.clientId, GUESSED.secret));
      // Another client is not affected.
      expect((await clientCredentials(OTHER.clientId, OTHER.secret)).status).toBe(200);
    });

    it('never holds a client at a connection peer it authenticated from, whatever address that peer forwards (the gateway exchanging for users at a guessed-from address)', async () => {
      // The service authenticates over this connection peer (127.0.0.1, forwarding some user's address).
      expect((await clientCredentials(SERVICE.clientId, SERVICE.secret)).status).toBe(200);
      const guesser = freshAddress();
      for (let i = 0; i < 4; i++)
        expect((await clientCredentials(SERVICE.clientId, randomBytes(32).toString('base64url'), guesser)).status).toBe(401);
      // Both budgets are spent (the client's 3, the address's 4); the service still gets its tokens,
      // for the guesser's address too: nobody can stop a client getting tokens by guessing its secret.
      await expectTooManyAttempts(await clientCredentials('nobody-at-all', randomBytes(32).toString('base64url'), guesser));
      expect((await clientCredentials(SERVICE.clientId, SERVICE.secret, guesser)).status).toBe(200);
      expect((await clientCredentials(SERVICE.clientId, SERVICE.secret)).status).toBe(200);
    });

    it('refuses every client authentication from an address once it took 4 failures over several clients, the right secret too', async () => {
      const guesser = freshAddress();
      const ids = ['nobody-1', 'nobody-2', OTHER.clientId, 'nobody-3'];
      for (const id of ids) expect((await clientCredentials(id, randomBytes(32).toString('base64url'), guesser)).status).toBe(401);
      await expectTooManyAttempts(await clientCredentials(GUESSED_AT_ADDRESS.clientId, GUESSED_AT_ADDRESS.secret, guesser));
      // Elsewhere the client is fine.
      expect((await clientCredentials(GUESSED_AT_ADDRESS.clientId, GUESSED_AT_ADDRESS.secret)).status).toBe(200);
    });

    it("never budgets a request that presents no client credential: a public client's refresh and revocation from a spent address are answered", async () => {
      const guesser = freshAddress();
      for (let i = 0; i < 4; i++)
        expect((await clientCredentials(`nobody-${i}`, randomBytes(32).toString('base64url'), guesser)).status).toBe(401);
      const refresh = form({ grant_type: 'refresh_token', refresh_token: randomBytes(32).toString('base64url'), client_id: 'authmesh' });
      const refreshed = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        body: refresh.body,
        headers: { ...refresh.headers, ...from(guesser) },
      });
      expect(refreshed.status).toBe(400);
      expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');
      const revoke = form({ token: randomBytes(32).toString('base64url'), client_id: 'authmesh' });
      const revoked = await fetch(`${app.url}/oauth/revoke`, {
        method: 'POST',
        body: revoke.body,
        headers: { ...revoke.headers, ...from(guesser) },
      });
      expect(revoked.status).toBe(200);
    });

    it('counts a malformed Basic header against the address', async () => {
      const guesser = freshAddress();
      const f = form({ grant_type: 'client_credentials' });
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${app.url}/oauth/token`, {
          method: 'POST',
          body: f.body,
          headers: { ...f.headers, ...from(guesser), authorization: 'Basic bm9jb2xvbg==' },
        });
        expect(res.status).toBe(401);
      }
      await expectTooManyAttempts(await clientCredentials('nobody-else', randomBytes(32).toString('base64url'), guesser));
    });
  });
});
