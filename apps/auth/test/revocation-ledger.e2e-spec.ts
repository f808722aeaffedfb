import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Redis } from 'ioredis';
import { RevocationKeyspace } from '@authmesh/revocation';
import pg from 'pg';
import { OwnedRedis, type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { RevocationLedgerPurger } from '../src/revocation/revocation-ledger-purger.service.js';
import { MULTI_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from './auth-fixture.js';

/** The names auth's store gives the blocklist in Redis (one hash tag, see RevocationKeyspace). */
const keyspace = new RevocationKeyspace();

const password = 'correct horse battery';
const ADMIN = { email: 'root@example.com', password: 'root password 1234' };
/** The most tolerance any verifier may be set to (MAX_CLOCK_TOLERANCE_SECONDS), not auth's own 30 s: the ledger outlives every verifier's acceptance. */
const TOLERANCE_MS = 300_000;
const LONGEST_TOKEN_MS = 3600_000;

interface LedgerRow {
  kind: string;
  value: string;
  delivered: boolean;
  expires_at: Date | null;
}

/** A number from a Prometheus text exposition (0 when absent). */
async function metricValue(managementUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${managementUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('auth: the revocation ledger in Postgres (every live revocation, delivered rows kept, purged after expiry, Redis re-seeded)', () => {
  let redis: OwnedRedis;
  let app: TestApp<AuthConfig>;
  let probe: Redis;
  let db: pg.Client;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    app = await newAuthApp({ REDIS_URL: redis.url, AUTH_SEED_ADMIN_EMAIL: ADMIN.email, AUTH_SEED_ADMIN_PASSWORD: ADMIN.password });
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    await probe.connect();
    db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    probe?.disconnect();
    await app?.close();
    await redis?.stop();
  });

  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  async function loginToken(email: string, pw = password): Promise<string> {
    const res = await post(`${app.url}/auth/login`, { email, password: pw });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  async function adminToken(): Promise<string> {
    const loggedIn = await loginToken(ADMIN.email, ADMIN.password);
    const res = await post(`${app.url}/auth/admin-token`, { password: ADMIN.password }, bearer(loggedIn));
    return ((await res.json()) as { access_token: string }).access_token;
  }
  async function rows(kind: string, value: string): Promise<LedgerRow[]> {
    const field = kind === 'jti' ? 'jti' : kind;
    return (
      await db.query<LedgerRow>(
        `SELECT event->>'kind' AS kind, event->>$2 AS value, delivered_at IS NOT NULL AS delivered, expires_at
           FROM revocation_outbox WHERE event->>'kind' = $1 AND event->>$2 = $3`,
        [kind, field, value],
      )
    ).rows;
  }
  async function clientToken(): Promise<string> {
    const f = form({ grant_type: 'client_credentials', scope: 'a:read', audience: 'alpha' });
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(MULTI_CLIENT.clientId, MULTI_CLIENT.secret) },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('keeps a delivered logout as a ledger row that lives until exp plus the clock tolerance', async () => {
    const email = uniqueEmail('ledger');
    await post(`${app.url}/auth/register`, { email, password });
    const token = await loginToken(email);
    expect((await post(`${app.url}/auth/logout`, {}, bearer(token))).status).toBe(200);
    const { jti, exp } = decodeJwt(token);
    // Logout names the token twice (as itself, and as the access token of the family it revokes): idempotent rows.
    const recorded = await rows('jti', jti!);
    expect(recorded.length).toBeGreaterThanOrEqual(1);
    for (const row of recorded) {
      expect(row.delivered).toBe(true);
      expect(new Date(row.expires_at!).getTime()).toBe(exp! * 1000 + TOLERANCE_MS);
    }
    expect(await probe.exists(keyspace.jtiKey(jti!))).toBe(1);
  });

  it('records a subject revocation, a disabled client and an emergency-revoked signing key, each for the longest token lifetime plus tolerance', async () => {
    const admin = await adminToken();
    const email = uniqueEmail('ledger-sub');
    const reg = (await (await post(`${app.url}/auth/register`, { email, password })).json()) as { id?: string };
    const sub = reg.id ?? decodeJwt(await loginToken(email)).sub!;
    const before = Date.now();
    expect((await post(`${app.url}/admin/revocations`, { sub }, bearer(admin))).status).toBe(200);
    const [subRow] = await rows('sub', sub);
    expect(subRow!.delivered).toBe(true);
    const subExpiry = new Date(subRow!.expires_at!).getTime();
    expect(subExpiry).toBeGreaterThanOrEqual(before + LONGEST_TOKEN_MS + TOLERANCE_MS);
    expect(subExpiry).toBeLessThanOrEqual(Date.now() + LONGEST_TOKEN_MS + TOLERANCE_MS);

    await clientToken();
    expect((await post(`${app.url}/admin/clients/${MULTI_CLIENT.clientId}/disable`, {}, bearer(admin))).status).toBe(200);
    const [clientRow] = await rows('sub', MULTI_CLIENT.clientId);
    expect(clientRow).toBeDefined();
    // A disable revokes a margin ahead (requests in flight), and the ledger row lives that much longer too.
    expect(new Date(clientRow!.expires_at!).getTime()).toBeGreaterThan(Date.now() + LONGEST_TOKEN_MS + TOLERANCE_MS);

    const { kid } = decodeProtectedHeader(admin);
    expect((await post(`${app.url}/admin/keys/${kid}/revoke`, { reason: 'ledger test' }, bearer(admin))).status).toBe(200);
    await waitFor(async () => (await rows('kid', kid!)).some((r) => r.delivered), 5000);
    const [kidRow] = await rows('kid', kid!);
    expect(new Date(kidRow!.expires_at!).getTime()).toBeGreaterThan(Date.now() + LONGEST_TOKEN_MS);
    // The key-set announcement that came with it has no ledger life: gone once delivered.
    await waitFor(
      async () => Number((await db.query(`SELECT count(*) AS n FROM revocation_outbox WHERE event->>'kind' = 'keyset'`)).rows[0].n) === 0,
      5000,
    );
  });

  it('re-seeds Redis from the ledger after a FLUSHALL and counts one re-seed', async () => {
    const email = uniqueEmail('ledger-flush');
    await post(`${app.url}/auth/register`, { email, password });
    const token = await loginToken(email);
    expect((await post(`${app.url}/auth/logout`, {}, bearer(token))).status).toBe(200);
    const { jti } = decodeJwt(token);
    await waitFor(async () => /^\d+$/.test((await probe.get(keyspace.generationKey)) ?? ''), 5000); // a completed seed, not its claim
    const reseeds = await metricValue(app.managementUrl, 'revocation_reseeds_total');

    await probe.flushall();
    await waitFor(async () => (await probe.exists(keyspace.jtiKey(jti!))) === 1, 5000, 50);
    // The completed seed: its claim in the marker's key comes first, the count last.
    await waitFor(async () => (await metricValue(app.managementUrl, 'revocation_reseeds_total')) > reseeds, 5000, 50);
    expect(await probe.get(keyspace.generationKey)).toMatch(/^\d+$/);
    const ttl = await probe.pttl(keyspace.jtiKey(jti!));
    expect(ttl).toBeGreaterThan(0);
    expect(await metricValue(app.managementUrl, 'revocation_reseeds_total')).toBe(reseeds + 1);
    expect(await metricValue(app.managementUrl, 'revocation_reseed_entries_total')).toBeGreaterThanOrEqual(4);
  });

  it('purges rows whose entry expired, and leaves live ones', async () => {
    await db.query(`INSERT INTO revocation_outbox (event, created_at, attempts, delivered_at, expires_at) VALUES
      ('{"kind":"jti","jti":"expired-one","expiresAtMs":1}', now(), 0, now(), now() - interval '1 second'),
      ('{"kind":"jti","jti":"live-one","expiresAtMs":1}', now(), 0, now(), now() + interval '1 hour')`);
    expect(await app.app.get(RevocationLedgerPurger).tick()).toBeGreaterThanOrEqual(1);
    expect(await rows('jti', 'expired-one')).toHaveLength(0);
    expect(await rows('jti', 'live-one')).toHaveLength(1);
  });
});
