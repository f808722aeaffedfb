/** The databases a benchmark's apps create on the real Postgres (`<prefix>_<app>`), and their removal. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  /** DATABASE_URL for the apps: each creates `<prefix>_<app>` next to it (appDatabaseUrl). */
  readonly url: string;
  /** Drops every `<prefix>_*` database. Never throws: cleanup must not hide the bench's own error. */
  drop(): Promise<void>;
}

/** A fresh `authmesh_bench_<name>_<random>` prefix on the server of `DATABASE_URL` (default local Postgres). */
export function benchDatabase(name: string): BenchDatabase {
  const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const prefix = `authmesh_bench_${name}_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${prefix}`;
  return {
    url: url.toString(),
    drop: async () => {
      const admin = new URL(server);
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      try {
        await client.connect();
        const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
          `${prefix}_`,
        ]);
        for (const { datname } of rows) {
          await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`).catch(() => undefined);
        }
      } catch (e) {
        process.stderr.write(`could not drop the ${prefix}_* databases: ${e instanceof Error ? e.message : String(e)}\n`);
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
