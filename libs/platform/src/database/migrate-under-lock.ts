import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { DataSource, Migration } from 'typeorm';

/**
 * Key of the advisory lock every instance of every app takes around its migrations. Advisory locks
 * are scoped to the current database (PostgreSQL §13.3.5, the lock tag carries the database OID),
 * so auth's and orders' migrations on one server never wait for each other, and test databases
 * stay apart. The single-bigint key space does not overlap the two-int one (auth's per-subject
 * exchange locks) and this value is not auth's KEYRING_LOCK_ID ('auth').
 */
export const MIGRATION_LOCK_KEY = 0x6d696772617465n; // 'migrate'

/**
 * How long an instance waits for another one's migrations before giving up. Below the Kubernetes
 * startupProbe's 3 minutes (deploy/k8s), so a waiting pod stops with `migration_lock_timeout` in
 * its log instead of being killed without a word.
 */
export const MIGRATION_LOCK_WAIT_MS = 120_000;
const MIGRATION_LOCK_POLL_MS = 200;

/** Another instance held the migration lock for longer than the wait: this one stops at start-up. */
export class MigrationLockTimeoutError extends Error {
  static readonly code = 'migration_lock_timeout';
  readonly code = MigrationLockTimeoutError.code;

  constructor(readonly waitedMs: number) {
    super(
      `another instance held the migration lock for ${Math.round(waitedMs / 1000)}s, longer than this instance waits; ` +
        'stopping (the orchestrator restarts it, and it finds the migrations done or still under way)',
    );
    this.name = 'MigrationLockTimeoutError';
  }
}

export interface MigrateUnderLockOptions {
  /** The database's URL: the lock is held on a connection of its own, outside the pool. */
  readonly url: string;
  readonly connectTimeoutMs: number;
  /** Default MIGRATION_LOCK_WAIT_MS. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * Runs the data source's pending migrations (one transaction each) while holding a session
 * advisory lock, so instances that start together on an empty database migrate exactly once:
 * TypeORM's `migrationsRun` takes no lock, and two instances each saw the same migration pending,
 * one crashing on "relation already exists" (or both applying a migration that does not conflict,
 * recorded twice). The lock is on a dedicated connection, not one of the pool's: the migrations
 * need the pool (a DB_POOL_SIZE of 1 would wait for itself), and if this process dies the server
 * ends the session and frees the lock. The wait is `pg_try_advisory_lock` polled, bounded and
 * logged, rather than a blocking `pg_advisory_lock` that statement_timeout would cut short with a
 * vaguer error. Whoever gets the lock second finds nothing pending and goes on.
 */
export async function runMigrationsUnderLock(dataSource: DataSource, options: MigrateUnderLockOptions): Promise<Migration[]> {
  const waitMs = options.waitMs ?? MIGRATION_LOCK_WAIT_MS;
  const pollMs = options.pollMs ?? MIGRATION_LOCK_POLL_MS;
  const log = options.log ?? (() => undefined);
  const lock = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs });
  // A server that goes away while we hold the lock surfaces through the migration's own query; an
  // 'error' event without a listener would crash the process instead.
  lock.on('error', () => undefined);
  await lock.connect();
  try {
    const started = Date.now();
    let waiting = false;
    while (!(await tryLock(lock))) {
      const waited = Date.now() - started;
      if (waited >= waitMs) throw new MigrationLockTimeoutError(waited);
      if (!waiting) log(`another instance is running migrations: waiting for the migration lock (up to ${Math.round(waitMs / 1000)}s)`);
      waiting = true;
      await sleep(pollMs);
    }
    if (waiting) log(`migration lock acquired after ${Date.now() - started} ms`);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    // Ending the session releases the lock too; unlocking first frees it even if end() is slow.
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
    await lock.end().catch(() => undefined);
  }
}

async function tryLock(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY.toString()]);
  return rows[0]?.locked === true;
}
