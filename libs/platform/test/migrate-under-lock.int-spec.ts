import { randomBytes } from 'node:crypto';
import { MIGRATION_LOCK_KEY, MigrationLockTimeoutError, ensureDatabaseExists, runMigrationsUnderLock } from '@authmesh/platform';
import { createTestDatabase, testDatabaseServerUrl, type TestDatabase } from '@authmesh/testing';
import pg from 'pg';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';

class CreateThing1700000000000 implements MigrationInterface {
  name = 'CreateThing1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE thing (id int PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE thing');
  }
}

/** The migration lock against a real PostgreSQL: another session holding it makes a start wait, bounded and logged. */
describe('runMigrationsUnderLock', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let holder: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('migrate_lock');
    dataSource = await new DataSource({ type: 'postgres', url: db.url, migrations: [CreateThing1700000000000] }).initialize();
    holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('gives up with migration_lock_timeout while another session holds the lock past the wait, having run nothing', async () => {
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    const logs: string[] = [];
    const started = Date.now();
    const error = await runMigrationsUnderLock(dataSource, {
      url: db.url,
      connectTimeoutMs: 2000,
      waitMs: 600,
      pollMs: 50,
      log: (m) => logs.push(m),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationLockTimeoutError);
    expect((error as MigrationLockTimeoutError).code).toBe('migration_lock_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(logs).toEqual([expect.stringMatching(/another instance is running migrations: waiting for the migration lock/)]);
    expect(await dataSource.query(`SELECT to_regclass('thing') AS t`)).toEqual([{ t: null }]);
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
  });

  it('waits while the lock is held, runs the migrations once it is released, and frees the lock afterwards', async () => {
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    const logs: string[] = [];
    const run = runMigrationsUnderLock(dataSource, { url: db.url, connectTimeoutMs: 2000, pollMs: 50, log: (m) => logs.push(m) });
    await new Promise((r) => setTimeout(r, 300));
    expect(await dataSource.query(`SELECT to_regclass('thing') AS t`)).toEqual([{ t: null }]);
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    expect((await run).map((m) => m.name)).toEqual(['CreateThing1700000000000']);
    expect(logs[1]).toMatch(/^migration lock acquired after \d+ ms$/);
    // Released: another session gets it at once.
    const { rows } = await holder.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY.toString()]);
    expect(rows[0]?.locked).toBe(true);
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
  });
});

/** Replicas on a shared server (DATABASE_URL) each create their database if missing, at the same moment. */
describe('ensureDatabaseExists', () => {
  it('succeeds in every one of several concurrent calls for a database that does not exist yet', async () => {
    const name = `authmesh_concurrent_${randomBytes(4).toString('hex')}`;
    const url = new URL(testDatabaseServerUrl());
    url.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: testDatabaseServerUrl() });
    await admin.connect();
    try {
      const results = await Promise.allSettled(Array.from({ length: 4 }, () => ensureDatabaseExists(url.toString())));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount).toBe(1);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
