import pg from 'pg';
import { ensureDatabaseExists } from '@authmesh/platform';
import { testDatabaseServerUrl } from '@authmesh/testing';

describe('ensureDatabaseExists (real Postgres)', () => {
  const name = `authmesh_ensure_${process.pid}_${Date.now()}`;
  const url = Object.assign(new URL(testDatabaseServerUrl()), { pathname: `/${name}` }).toString();

  afterAll(async () => {
    const admin = new pg.Client({ connectionString: testDatabaseServerUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.end();
  });

  it('creates the database when it is missing, and is a no-op the second time', async () => {
    await ensureDatabaseExists(url);
    await ensureDatabaseExists(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    await client.end();
    expect(rows[0]?.db).toBe(name);
  });

  it('refuses a database name that would need quoting tricks', async () => {
    const bad = Object.assign(new URL(testDatabaseServerUrl()), { pathname: '/x";DROP' }).toString();
    await expect(ensureDatabaseExists(bad)).rejects.toThrow(/must match/);
  });
});
