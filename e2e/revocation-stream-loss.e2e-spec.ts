import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RevocationKeyspace } from '@authmesh/revocation';
import { OwnedRedis, newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

const ISSUER = 'http://auth.test';
const password = 'long enough password!';
const json = { 'content-type': 'application/json' };
/** newTestApp writes no stand-in generation marker: auth's own seed is under test. */
const NO_STAND_IN = { seedRevocationMarker: false } as const;
const keyspace = new RevocationKeyspace();

/** A number from a Prometheus text exposition (0 when absent). */
async function metric(app: TestApp, name: string): Promise<number> {
  const text = await (await fetch(`${app.managementUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

const whoami = async (app: TestApp, token: string): Promise<{ status: number; code?: string }> => {
  const res = await fetch(`${app.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, code: ((await res.json()) as { code?: string }).code };
};

// Redis keeps its generation marker but loses its newest events: only auth can notice (it kept
// the stream id of every delivered row), and its re-seed makes every verifier read in full.
describe('a Redis that lost delivered revocations but kept its marker is re-seeded from the ledger', () => {
  const kek = randomBytes(32).toString('base64');
  let redis: OwnedRedis;
  let probe: Redis;
  let auth: TestApp;
  let orders: TestApp;
  let late: TestApp | undefined;
  let verifierEnv: Record<string, string>;

  beforeAll(async () => {
    redis = await OwnedRedis.start({ snapshots: true });
    auth = await newTestApp(authApp, { REDIS_URL: redis.url, AUTH_KEK: kek, AUTH_ISSUER: ISSUER }, NO_STAND_IN);
    verifierEnv = {
      REDIS_URL: redis.url,
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      ...UNUSED_PROFILES_CLIENT_ENV,
    };
    orders = await newTestApp(ordersApp, verifierEnv, NO_STAND_IN);
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    probe.on('error', () => undefined);
    await probe.connect();
  });
  afterAll(async () => {
    probe?.disconnect();
    await late?.close().catch(() => undefined);
    await orders?.close();
    await auth?.close();
    await redis?.destroy();
  });

  async function revokedToken(): Promise<string> {
    const email = `loss-${randomBytes(5).toString('hex')}@example.com`;
    await fetch(`${auth.url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const login = await fetch(`${auth.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const token = ((await login.json()) as { access_token: string }).access_token;
    expect((await whoami(orders, token)).status).toBe(200);
    const res = await fetch(`${auth.url}/auth/logout`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await whoami(orders, token)).code === 'token_revoked', 2000, 10);
    return token;
  }

  it('restart from an older snapshot: the revocation made after it is refused again by a new verifier within seconds', async () => {
    await waitFor(async () => /^\d+$/.test((await probe.get(keyspace.generationKey)) ?? ''), 5000, 50); // a completed seed, not its claim
    const before = await revokedToken();
    await probe.save();
    const generation = await probe.get(keyspace.generationKey);
    const after = await revokedToken(); // acknowledged by Redis, then lost with the restart
    const reseeds = await metric(auth, 'revocation_reseeds_total');

    await redis.stop();
    await redis.start();
    const restartedAt = Date.now();

    // Auth notices the lost tail (the marker alone says nothing is wrong) and re-seeds: a new generation.
    // Waits for the completed seed, not for the marker to change: the seed first writes its claim
    // into the marker's key, and only its last step writes the new generation and counts it.
    await waitFor(async () => (await metric(auth, 'revocation_reseeds_total')) > reseeds, 10_000, 50);
    expect(await metric(auth, 'revocation_reseeds_total')).toBe(reseeds + 1);
    const reseeded = await probe.get(keyspace.generationKey);
    expect(reseeded).toMatch(/^\d+$/);
    expect(reseeded).not.toBe(generation);
    expect(await probe.exists(keyspace.jtiKey(decodeJwt(after).jti!))).toBe(1);
    const healedInMs = Date.now() - restartedAt;
    expect(healedInMs).toBeLessThan(5000);

    // A verifier that starts now knows nothing but what Redis holds: it must refuse both.
    late = await newTestApp(ordersApp, verifierEnv, NO_STAND_IN);
    await waitFor(async () => (await whoami(late!, after)).code === 'token_revoked', 5000, 50);
    expect((await whoami(late, before)).code).toBe('token_revoked');
    // The running one never forgot (its mirror merges): it refuses both throughout.
    for (const token of [before, after]) expect((await whoami(orders, token)).code).toBe('token_revoked');
  });

  it('a quiet system: the only revocation, delivered 20 minutes before Redis went back to an older snapshot, is still checked', async () => {
    // auth's ledger in its own database: the test ages rows there rather than waiting 20 minutes
    // (the loss check reads `delivered_at` from the ledger, the ids from Redis).
    const db = new pg.Client({ connectionString: auth.databaseUrl });
    await db.connect();
    try {
      // Everything so far happened long ago (outside a token's lifetime + tolerance), and the
      // current generation is older than the logout below: only that logout is in the check's scope.
      await db.query(`UPDATE revocation_outbox SET delivered_at = delivered_at - interval '2 hours' WHERE delivered_at IS NOT NULL`);
      await probe.set(keyspace.generationKey, String(Date.now() - 3 * 3600_000));
      await probe.save();
      const generation = await probe.get(keyspace.generationKey);
      const logout = await revokedToken(); // acknowledged, then lost with the restart below
      // "12:00 the user logs out everywhere; 12:20 Redis restarts from the 11:50 snapshot".
      await db.query(
        `UPDATE revocation_outbox SET delivered_at = delivered_at - interval '20 minutes' WHERE delivered_at > now() - interval '1 minute'`,
      );
      const reseeds = await metric(auth, 'revocation_reseeds_total');

      await redis.stop();
      await redis.start();
      // The completed seed (its claim in the marker's key comes first, the count last).
      await waitFor(async () => (await metric(auth, 'revocation_reseeds_total')) > reseeds, 10_000, 50);
      expect(await metric(auth, 'revocation_reseeds_total')).toBe(reseeds + 1);
      expect(await probe.get(keyspace.generationKey)).not.toBe(generation);
      expect(await probe.exists(keyspace.jtiKey(decodeJwt(logout).jti!))).toBe(1);

      await late?.close();
      late = await newTestApp(ordersApp, verifierEnv, NO_STAND_IN);
      await waitFor(async () => (await whoami(late!, logout)).code === 'token_revoked', 5000, 50);
    } finally {
      await db.end();
    }
  });
});
