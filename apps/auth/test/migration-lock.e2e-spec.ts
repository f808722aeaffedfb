import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestApp, type TestDatabase } from '@authmesh/testing';
import pg from 'pg';
import type { AuthConfig } from '../src/config/auth.config.js';
import { newAuthApp } from './auth-fixture.js';

const REPLICAS = 3;

/**
 * Replicas that start together on an empty database (a first install, or `kubectl scale` during
 * an upgrade) migrate it exactly once and all come up: migrations run under an advisory lock.
 * Without it (TypeORM's `migrationsRun` takes none) each replica saw the same migrations pending
 * and all but one crashed on "relation already exists".
 */
describe('auth: replicas starting together on an empty database', () => {
  let db: TestDatabase;
  const apps: TestApp<AuthConfig>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('auth_migrate');
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await db?.drop();
  });

  it('migrate it exactly once, and every replica is ready', async () => {
    // One KEK for all, as replicas of one deployment share it (each decrypts the others' keys).
    const env = { AUTH_DATABASE_URL: db.url, AUTH_KEK: randomBytes(32).toString('base64') };
    const started = await Promise.allSettled(Array.from({ length: REPLICAS }, () => newAuthApp(env)));
    for (const s of started) if (s.status === 'fulfilled') apps.push(s.value);
    expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'started'))).toEqual(Array(REPLICAS).fill('started'));

    for (const app of apps) expect((await fetch(`${app.managementUrl}/health/ready`)).status).toBe(200);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; runs: number }>(
        'SELECT name, count(*)::int AS runs FROM migrations GROUP BY name ORDER BY name',
      );
      expect(rows.length).toBeGreaterThanOrEqual(8);
      expect(rows.filter((r) => r.runs !== 1)).toEqual([]);
    } finally {
      await client.end();
    }
  }, 90_000);
});
