import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import { RevocationKeyspace } from '@authmesh/revocation';
import pg from 'pg';
import { OwnedRedis, newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

/** The names auth's store gives the blocklist in Redis (one hash tag, see RevocationKeyspace). */
const keyspace = new RevocationKeyspace();

const ISSUER = 'http://auth.test';
const password = 'long enough password!';
const json = { 'content-type': 'application/json' };
/** newTestApp writes no stand-in generation marker: auth's own seed is under test. */
const NO_STAND_IN = { seedRevocationMarker: false } as const;

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

/** Asks a running verifier about `token` over and over until stopped; every status it answered. */
function poll(app: TestApp, token: string): { stop: () => Promise<number[]> } {
  const statuses: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      statuses.push(
        await whoami(app, token).then(
          (r) => r.status,
          () => -1,
        ),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return statuses;
    },
  };
}

// Redis is a cache of auth's revocation ledger (Postgres): when it loses its data, auth notices
// the missing generation marker and re-seeds it; running verifiers never let the token through.
describe('a Redis that lost its data is re-seeded from the revocation ledger', () => {
  const kek = randomBytes(32).toString('base64');
  let redis: OwnedRedis;
  let probe: Redis;
  let auth: TestApp;
  let orders: TestApp;
  const extraApps: TestApp[] = [];
  let verifierEnv: Record<string, string>;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    // No stand-in marker from newTestApp anywhere in this file: auth's own seed is what is under test.
    auth = await newTestApp(authApp, { REDIS_URL: redis.url, AUTH_KEK: kek, AUTH_ISSUER: ISSUER }, NO_STAND_IN);
    verifierEnv = {
      REDIS_URL: redis.url,
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      ...UNUSED_PROFILES_CLIENT_ENV,
    };
    orders = await newTestApp(ordersApp, verifierEnv, NO_STAND_IN);
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    await probe.connect();
  });
  afterAll(async () => {
    probe?.disconnect();
    for (const app of extraApps.reverse()) await app.close().catch(() => undefined);
    await orders?.close();
    await auth?.close();
    await redis?.stop();
  });

  async function revokedToken(): Promise<string> {
    const email = `reseed-${randomBytes(5).toString('hex')}@example.com`;
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

  /** A verifier started now, against the Redis as it is: refuses `token` within 5 s. */
  async function newVerifierRefuses(token: string): Promise<void> {
    const fresh = await newTestApp(ordersApp, verifierEnv, NO_STAND_IN);
    extraApps.push(fresh);
    await waitFor(async () => (await whoami(fresh, token)).code === 'token_revoked', 5000, 50);
  }

  it('after FLUSHALL: the running verifier never accepts the token, a new one refuses it within 5 s, auth counts one re-seed', async () => {
    const token = await revokedToken();
    await waitFor(async () => /^\d+$/.test((await probe.get(keyspace.generationKey)) ?? ''), 5000); // a completed seed, not its claim
    const before = await metric(auth, 'revocation_reseeds_total');
    const poller = poll(orders, token);

    await probe.flushall();
    await newVerifierRefuses(token);
    await waitFor(async () => (await probe.exists(keyspace.jtiKey(decodeJwt(token).jti!))) === 1, 5000, 50);

    const statuses = await poller.stop();
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 401)).toEqual([]);
    expect(await metric(auth, 'revocation_reseeds_total')).toBe(before + 1);
  });

  it('after Redis restarts empty: the same', async () => {
    const token = await revokedToken();
    const before = await metric(auth, 'revocation_reseeds_total');
    const poller = poll(orders, token);

    await redis.stop();
    await new Promise((r) => setTimeout(r, 500));
    await redis.start();
    await waitFor(async () => (await probe.exists(keyspace.jtiKey(decodeJwt(token).jti!)).catch(() => 0)) === 1, 10_000, 50);
    await newVerifierRefuses(token);

    const statuses = await poller.stop();
    expect(statuses.filter((s) => s !== 401)).toEqual([]);
    expect(await metric(auth, 'revocation_reseeds_total')).toBe(before + 1);
  });

  it('two auth instances on one database and a flushed Redis: one re-seed between them, no entry lost', async () => {
    const second = await newTestApp(
      authApp,
      {
        REDIS_URL: redis.url,
        AUTH_KEK: kek,
        AUTH_ISSUER: ISSUER,
        AUTH_DATABASE_URL: auth.databaseUrl,
      },
      NO_STAND_IN,
    );
    extraApps.push(second);
    const tokens = [await revokedToken(), await revokedToken(), await revokedToken()];
    const db = new pg.Client({ connectionString: auth.databaseUrl });
    await db.connect();
    const live = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM revocation_outbox WHERE expires_at > now()')).rows[0]!.n);
    await db.end();
    const reseeds = async (): Promise<number> =>
      (await metric(auth, 'revocation_reseeds_total')) + (await metric(second, 'revocation_reseeds_total'));
    const entries = async (): Promise<number> =>
      (await metric(auth, 'revocation_reseed_entries_total')) + (await metric(second, 'revocation_reseed_entries_total'));
    const [reseedsBefore, entriesBefore] = [await reseeds(), await entries()];

    await probe.flushall();
    await waitFor(async () => /^\d+$/.test((await probe.get(keyspace.generationKey)) ?? ''), 5000, 50); // a completed seed, not its claim
    // Let a second instance's next check (1 s) run: it must find the marker, not seed again.
    await new Promise((r) => setTimeout(r, 2500));

    expect((await reseeds()) - reseedsBefore).toBe(1);
    const written = (await entries()) - entriesBefore;
    expect(written).toBeGreaterThanOrEqual(tokens.length);
    expect(written).toBeLessThanOrEqual(live);
    for (const token of tokens) expect(await probe.exists(keyspace.jtiKey(decodeJwt(token).jti!))).toBe(1);
  });
});
