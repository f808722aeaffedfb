import pg from 'pg';

const SAFE_DB_NAME = /^[A-Za-z0-9_]{1,63}$/;

/**
 * Creates the app's database on a shared server when it does not exist yet
 * (database-per-service on one Postgres). Connects to the server's `postgres` database.
 */
export async function ensureDatabaseExists(url: string, connectTimeoutMs = 3000): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!SAFE_DB_NAME.test(name)) throw new Error(`database name "${name}" must match ${SAFE_DB_NAME}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: connectTimeoutMs });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } catch (e) {
        // Another instance created it first; that is fine. 42P04 duplicate_database when its
        // CREATE DATABASE had committed; 23505 on pg_database_datname_index when both ran at once.
        const code = (e as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw e;
      }
    }
  } finally {
    await client.end();
  }
}
