import { OwnedPostgres, OwnedRedis, type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { ORDERS_CLIENT, basic, form, newAuthApp, uniqueEmail } from './auth-fixture.js';

type Entry = { status: string; [k: string]: unknown };

/**
 * Auth's readiness under its outage policy, with a Redis and a Postgres this file owns and really
 * stops. Auth serves through either outage (revocations wait in the outbox while Redis is away;
 * the JWKS and cached client credentials while Postgres is), so it stays ready and says what is
 * down, even past REVOCATION_MAX_STALENESS_S: its mirror being stale only refuses the tokens its
 * own routes take. Every replica shares both servers: failing readiness would empty the Service.
 */
describe('auth: readiness while Redis or Postgres is stopped (e2e)', () => {
  const STALENESS_S = 2;
  let pg: OwnedPostgres;
  let redis: OwnedRedis;
  let app: TestApp<AuthConfig>;
  const ready = async (): Promise<{ status: number; body: { status?: string; details?: Record<string, Entry> } }> => {
    const res = await fetch(`${app.managementUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as { status?: string; details?: Record<string, Entry> } };
  };
  const clientCredentials = (): Promise<Response> => {
    const f = form({ grant_type: 'client_credentials' });
    return fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { ...f.headers, authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
      body: f.body,
      signal: AbortSignal.timeout(10_000),
    });
  };

  beforeAll(async () => {
    [pg, redis] = await Promise.all([OwnedPostgres.start(), OwnedRedis.start()]);
    app = await newAuthApp({
      AUTH_DATABASE_URL: pg.url(),
      REDIS_URL: redis.url,
      DB_CONNECT_TIMEOUT_MS: '1000',
      REVOCATION_MAX_STALENESS_S: String(STALENESS_S),
    });
    await waitFor(async () => (await ready()).body.status === 'ok', 10_000, 100);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([pg?.destroy(), redis?.stop()]);
  });

  it('stays ready while Postgres is stopped, reporting database down, and serves the JWKS and cached client credentials', async () => {
    expect((await clientCredentials()).status).toBe(200); // the client record is now cached
    await pg.stop();
    const down = await ready();
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({
      status: 'degraded',
      details: { database: { status: 'degraded', down: true }, jwks: { status: 'up' } },
    });
    expect((await fetch(`${app.url}/.well-known/jwks.json`)).status).toBe(200);
    expect((await clientCredentials()).status).toBe(200);
    await pg.start();
    await waitFor(async () => (await ready()).body.status === 'ok', 20_000, 250);
  });

  it('stays ready past the staleness bound while Redis is stopped, reporting redis and revocation down, and keeps issuing', async () => {
    await redis.stop();
    await waitFor(async () => (await ready()).body.details?.revocation?.status === 'degraded', (STALENESS_S + 3) * 1000, 100);
    const past = await ready();
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({
      status: 'degraded',
      details: {
        redis: { status: 'degraded', down: true },
        revocation: { status: 'degraded', down: true, message: expect.stringMatching(/beyond the 2s bound/) },
        jwks: { status: 'up' },
        database: { status: 'up' },
      },
    });
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    expect((await fetch(`${app.url}/.well-known/jwks.json`)).status).toBe(200);
    expect((await clientCredentials()).status).toBe(200);
    const registered = await fetch(`${app.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: uniqueEmail('redis-down'), password: 'correct horse battery' }),
    });
    expect(registered.status).toBeLessThan(300);

    await redis.start();
    // Auth re-seeds the empty Redis from its ledger, then its own mirror is complete again.
    await waitFor(async () => (await ready()).body.status === 'ok', 20_000, 100);
  });
});
