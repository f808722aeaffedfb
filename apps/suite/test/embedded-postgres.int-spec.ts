import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../src/embedded-postgres.js';

/**
 * npm start's embedded database under a real pg pool: concurrent parameterized queries of
 * different shapes on several connections must each get their own result. pglite-socket's own
 * server interleaved the connections' Parse/Bind/Execute batches (electric-sql/pglite #1046):
 * "bind message supplies 2 parameters, but prepared statement "" requires 1", or another's rows.
 */
describe('EmbeddedPostgres under concurrent connections', () => {
  let dataDir: string;
  let dbs: Map<string, EmbeddedPostgres>;
  let pool: pg.Pool;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
    dbs = await EmbeddedPostgres.startAll(dataDir, ['concurrency']);
    pool = new pg.Pool({ connectionString: dbs.get('concurrency')!.url, max: 8 });
  });

  afterAll(async () => {
    await pool.end();
    for (const db of dbs.values()) await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 200 concurrent queries of different shapes each with its own rows', async () => {
    const shapes = [
      async (i: number) => {
        const r = await pool.query('select $1::int as a', [i]);
        expect(r.rows).toEqual([{ a: i }]);
      },
      async (i: number) => {
        const r = await pool.query('select $1::text as b, $2::text as c', [`b${i}`, `c${i}`]);
        expect(r.rows).toEqual([{ b: `b${i}`, c: `c${i}` }]);
      },
      async (i: number) => {
        const r = await pool.query('select $1::int + $2::int + $3::int as sum', [i, 1, 2]);
        expect(r.rows).toEqual([{ sum: i + 3 }]);
      },
      async (i: number) => {
        const r = await pool.query('select g from generate_series(1, $1::int) g', [(i % 5) + 1]);
        expect(r.rows.map((row: { g: number }) => row.g)).toEqual(Array.from({ length: (i % 5) + 1 }, (_, k) => k + 1));
      },
    ];
    // A transaction on one connection holds the session while the other seven queue their first
    // message; when it ends, seven batches are ready at once, which is when they used to interleave.
    const blocker = await pool.connect();
    await blocker.query('begin');
    const settled = Promise.allSettled(Array.from({ length: 200 }, (_, i) => shapes[i % shapes.length]!(i)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await blocker.query('commit');
    blocker.release();
    const results = await settled;
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));
    expect(failures).toEqual([]);
  }, 20_000);

  // Others wait while a transaction holds the single session (as upstream); they run after it ends.
  it('keeps a transaction on its connection while others query', async () => {
    await pool.query('create table if not exists tx_probe (n int)');
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query('insert into tx_probe values ($1)', [1]);
      const others = Promise.all(Array.from({ length: 20 }, (_, i) => pool.query('select $1::int as a', [i])));
      expect((await client.query('select count(*)::int as n from tx_probe')).rows).toEqual([{ n: 1 }]);
      await client.query('rollback');
      expect((await others).map((r) => r.rows[0].a)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      client.release();
    }
    expect((await pool.query('select count(*)::int as n from tx_probe')).rows).toEqual([{ n: 0 }]);
  });
});
