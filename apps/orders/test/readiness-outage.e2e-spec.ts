import {
  JwksTestServer,
  OwnedPostgres,
  OwnedRedis,
  type TestApp,
  accessClaims,
  generateSigningKey,
  jwksOf,
  newTestApp,
  signToken,
  waitFor,
} from '@authmesh/testing';
import { RedisRevocationStore } from '@authmesh/revocation';
import { Redis } from 'ioredis';
import { ordersApp } from '../src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from './support/profiles-client-env.js';

interface ReadyBody {
  status?: string;
  code?: string;
  details?: Record<string, { status: string; [k: string]: unknown }> & { details?: Record<string, { status: string }> };
}

/**
 * Readiness under the outage policy, with a Postgres and a Redis this file owns and really stops:
 * orders stays ready (and serves) while either is away as long as its revocation mirror is within
 * REVOCATION_MAX_STALENESS_S, reports the outage in the body, and answers 503 only past the bound
 * under `reject` (fail-closed). Every replica shares both servers: a readiness that failed on them
 * would take every pod out of the Service at the same moment.
 */
describe('orders: readiness while Postgres or Redis is stopped (e2e)', () => {
  const STALENESS_S = 4;
  const key = generateSigningKey('auth-key-1');
  let pg: OwnedPostgres;
  let redis: OwnedRedis;
  let jwks: JwksTestServer;
  let app: TestApp;
  const token = (): string => signToken(key, accessClaims(jwks.url, 'orders', Math.floor(Date.now() / 1000)));
  const get = (path: string): Promise<Response> =>
    fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${token()}` }, signal: AbortSignal.timeout(10_000) });
  const ready = async (): Promise<{ status: number; body: ReadyBody }> => {
    const res = await fetch(`${app.managementUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as ReadyBody };
  };
  /** A check's entry, in the 200 body or inside a 503's details. */
  const entry = (body: ReadyBody, name: string) => body.details?.[name] ?? body.details?.details?.[name];

  beforeAll(async () => {
    [pg, redis, jwks] = await Promise.all([OwnedPostgres.start(), OwnedRedis.start(), JwksTestServer.start(jwksOf(key))]);
    app = await newTestApp(ordersApp, {
      AUTH_ISSUER: jwks.url,
      ORDERS_DATABASE_URL: pg.url(),
      REDIS_URL: redis.url,
      DB_CONNECT_TIMEOUT_MS: '1000',
      REVOCATION_MAX_STALENESS_S: String(STALENESS_S),
      ...UNUSED_PROFILES_CLIENT_ENV,
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await jwks?.close();
    await Promise.all([pg?.destroy(), redis?.stop()]);
  });

  it('stays ready with database down while Postgres is stopped: verification serves, a database route answers 503 database_unavailable', async () => {
    expect(await ready()).toMatchObject({ status: 200, body: { status: 'ok' } });
    await pg.stop();
    const down = await ready();
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({
      status: 'degraded',
      details: { database: { status: 'degraded', down: true }, revocation: { status: 'up' } },
    });
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    expect((await get('/whoami')).status).toBe(200);
    const orders = await get('/orders');
    expect({ status: orders.status, code: ((await orders.json()) as { code?: string }).code }).toEqual({
      status: 503,
      code: 'database_unavailable',
    });
    expect(orders.headers.get('retry-after')).toBe('5');
    await pg.start();
    await waitFor(async () => (await ready()).body.status === 'ok', 20_000, 250);
    expect((await get('/orders')).status).toBe(200);
  });

  it('stays ready with redis down while the mirror is within the staleness bound, turns 503 past it (reject), and ready again once Redis is back', async () => {
    await redis.stop();
    const downAt = Date.now();
    // Within the bound: the mirror serves, readiness says so and shows Redis down.
    await waitFor(async () => entry((await ready()).body, 'redis')?.status === 'degraded', 3000, 50);
    const within = await ready();
    expect(Date.now() - downAt).toBeLessThan((STALENESS_S - 1) * 1000);
    expect(within).toMatchObject({
      status: 200,
      body: { status: 'degraded', details: { redis: { status: 'degraded', down: true }, revocation: { status: 'up', fresh: true } } },
    });
    expect((await get('/whoami')).status).toBe(200);

    // Past the bound, fail-closed: this instance refuses tokens, so it is not ready.
    await waitFor(async () => (await ready()).status === 503, (STALENESS_S + 3) * 1000, 100);
    // Staleness counts from the last heartbeat before the stop (at most ~1 s earlier).
    expect(Date.now() - downAt).toBeGreaterThanOrEqual((STALENESS_S - 1) * 1000);
    const past = await ready();
    expect(past.body.code).toBe('not_ready');
    expect(entry(past.body, 'revocation')).toMatchObject({ status: 'down' });
    expect(entry(past.body, 'redis')).toMatchObject({ status: 'degraded', down: true });
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(503);
    expect((await get('/whoami')).status).toBe(503);

    // Back (empty, as nothing persisted): ready once the mirror is complete again. This file runs
    // no auth, so it writes the generation marker auth's re-seed would.
    await redis.start();
    const writer = new Redis(redis.url);
    try {
      const store = new RedisRevocationStore(writer, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
      await store.markSeeded(Date.now(), await store.beginSeed());
    } finally {
      writer.disconnect();
    }
    await waitFor(async () => (await ready()).status === 200, 20_000, 100);
    expect((await ready()).body).toMatchObject({ status: 'ok', details: { redis: { status: 'up' }, revocation: { fresh: true } } });
  });
});
