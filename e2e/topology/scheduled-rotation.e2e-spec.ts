import type { KeyEventList, KeyList } from '@authmesh/contracts';
import { waitFor } from '@authmesh/testing';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { bearer, call, clientToken } from '../../tools/demo/http.js';
import { type TestTopology, startTestTopology } from './support.js';

// Scheduled rotation with two auth processes on one database: both run the key scheduler every
// 100 ms, both find the active key due at the same tick, and the Postgres advisory lock
// (KeyLifecycle.advance, tryLocked) must let exactly one of them create the next key.
describe('scheduled rotation across two auth replicas (e2e: 2 processes, one database)', () => {
  let topo: TestTopology;
  let db: pg.Client;

  beforeAll(async () => {
    topo = await startTestTopology({
      replicas: { auth: 2, orders: 0, profiles: 0, gateway: 0 },
      serviceEnv: {
        auth: {
          // Due once a day: nothing happens until the test makes the active key a day old.
          AUTH_KEY_ROTATION_DAYS: '1',
          AUTH_KEY_CHECK_INTERVAL_S: '0.1',
          AUTH_JWKS_MAX_AGE_S: '1',
          AUTH_KEY_PUBLISH_DELAY_S: '2',
        },
      },
    });
    db = new pg.Client({ connectionString: topo.databaseUrls.auth });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await topo?.close();
  }, 30_000);

  async function admin<T>(authUrl: string, path: string): Promise<T> {
    const token = await clientToken(authUrl, 'authctl', topo.secrets.clientSecret('authctl'), 'auth');
    const res = await call<T>(`${authUrl}${path}`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    return res.body;
  }

  it('creates exactly one key and one scheduler event, promotes it once, and both replicas sign with it', async () => {
    const [a, b] = topo.replicas.auth.map((r) => r.url) as [string, string];
    const { keys } = await admin<KeyList>(a, '/admin/keys');
    expect(keys.map((k) => k.state)).toEqual(['active']);
    const first = keys[0]!.kid;

    // The clock is not faked in another process; the key's age is. Both schedulers see it due at
    // their next tick (the same instant, give or take 100 ms).
    await db.query(
      `UPDATE signing_keys SET activated_at = now() - interval '2 days', created_at = now() - interval '2 days' WHERE kid = $1`,
      [first],
    );

    // The next key is published pending at once, then promoted after the 2 s publish delay.
    await waitFor(
      async () => (await admin<KeyList>(b, '/admin/keys')).keys.some((k) => k.state === 'active' && k.kid !== first),
      10_000,
      100,
    );
    // Several more ticks of both schedulers: nothing else may happen.
    await new Promise((r) => setTimeout(r, 1500));

    const after = (await admin<KeyList>(a, '/admin/keys')).keys;
    expect(after.map((k) => k.state)).toEqual(['active', 'retiring']);
    const next = after[0]!.kid;
    const { events } = await admin<KeyEventList>(b, '/admin/keys/events');
    const bySchedulerFor = (kid: string) =>
      events.filter((e) => e.kid === kid && e.actor === 'scheduler').map((e) => `${e.fromState}→${e.toState}`);
    // Exactly one creation (one event row) and one promotion, though two schedulers were racing.
    expect(bySchedulerFor(next).sort()).toEqual(['null→pending', 'pending→active']);
    expect(events.filter((e) => e.actor === 'scheduler' && e.toState === 'pending')).toHaveLength(1);
    expect(bySchedulerFor(first)).toEqual(['active→retiring']);
    const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM signing_keys`);
    expect(Number(rows[0]!.n)).toBe(2);

    // Both replicas sign with the new key.
    for (const url of [a, b]) {
      // The gateway's client (a secret client; orders authenticates by private_key_jwt).
      const token = await clientToken(url, 'gateway', topo.secrets.clientSecret('gateway'), 'profiles');
      expect(decodeProtectedHeader(token).kid).toBe(next);
    }
  });
});
