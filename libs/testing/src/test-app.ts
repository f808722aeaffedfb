import { type AppDefinition, type BaseConfig, type RunningApp, createRedisClient, parseRedisUrl, startApp } from '@authmesh/platform';
import { RevocationKeyspace, sharedMemoryRevocationBackend } from '@authmesh/revocation';
import { activeLogCapture } from './log-capture.js';
import { createTestDatabase, testRedisUrl } from './test-database.js';

export interface TestApp<C extends BaseConfig = BaseConfig> extends RunningApp<C> {
  /** Database URL the app uses (a fresh one of its own unless given). */
  databaseUrl: string;
}

/**
 * Every test file shares one Redis and one client address (127.0.0.1), so auth's per-address
 * budgets (kept in Redis) would be spent by all files running in parallel and throttle unrelated
 * tests; so would its per-client failure budget, for the client ids many files seed. Tests of those limits set them explicitly (an explicit env wins).
 */
const UNTHROTTLED: Readonly<Record<string, string>> = {
  AUTH_RATE_LIMIT_PER_MIN: '1000000',
  AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
  AUTH_CLIENT_MAX_FAILURES_PER_ADDRESS: '100000',
  // Keyed by client id, and files share ids (`orders`) as they share the address.
  AUTH_CLIENT_MAX_FAILURES: '100000',
};

export interface TestAppOptions {
  /**
   * Write the blocklist's generation marker before booting, if absent (default true). A verifier's
   * mirror is complete, hence fresh and ready, only once auth has seeded the blocklist and written
   * that marker; a test that boots orders, profiles or the gateway without auth stands in for it
   * this way. `false` for a test of what happens while the marker is missing.
   */
  readonly seedRevocationMarker?: boolean;
}

/**
 * Stands in for auth's seed: `SET <generation marker> <now> NX` on the app's Redis (the
 * process's in-memory backend for `memory://`), the marker's name taken from the revocation
 * keyspace. Never overwrites a marker auth wrote. The client comes from the apps' own factory, so
 * a Sentinel or Cluster REDIS_URL reaches the same master the app will. A Redis that does not
 * answer within a second is left alone: the test is then about that Redis being away, and seeds
 * it itself (`store.markSeeded`) once it is back.
 */
async function seedRevocationMarker(redisUrl: string): Promise<void> {
  const key = new RevocationKeyspace().generationKey;
  const parsed = parseRedisUrl(redisUrl);
  if (!parsed.ok) return; // the app's start-up names the bad REDIS_URL
  if (parsed.config.kind === 'memory') {
    const backend = sharedMemoryRevocationBackend();
    if (backend.get(key, Date.now()) === undefined) backend.set(key, Date.now(), Number.POSITIVE_INFINITY, Date.now());
    return;
  }
  const client = createRedisClient(parsed.config, { connectionName: 'authmesh-test-seed', oneShot: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.set(key, String(Date.now()), 'NX');
  } catch {
    // Unreachable: see above.
  } finally {
    client.disconnect();
  }
}

/**
 * Boots one app on a free port against a fresh database of its own and the real Redis, quietly,
 * with the blocklist marked as seeded (see `TestAppOptions.seedRevocationMarker`).
 * `close()` stops the app and drops the database.
 *
 * @example
 * const app = await newTestApp(ordersApp);
 * const res = await fetch(`${app.managementUrl}/health/ready`);
 * await app.close();
 */
export async function newTestApp<C extends BaseConfig>(
  definition: AppDefinition<C>,
  env: Record<string, string | undefined> = {},
  options: TestAppOptions = {},
): Promise<TestApp<C>> {
  const appDbVar = `${definition.name.toUpperCase()}_DATABASE_URL`;
  const redisUrl = env.REDIS_URL ?? testRedisUrl();
  if (options.seedRevocationMarker !== false) await seedRevocationMarker(redisUrl);
  const db = env[appDbVar] ? undefined : await createTestDatabase(definition.name);
  try {
    const capture = activeLogCapture();
    const running = await startApp(
      definition,
      {
        REDIS_URL: redisUrl,
        // Silent, unless the test captures the logs (captureTestLogs).
        LOG_LEVEL: capture === undefined ? 'silent' : 'info',
        LOG_FORMAT: 'json',
        PORT: '0',
        MANAGEMENT_PORT: '0',
        ...UNTHROTTLED,
        ...env,
        ...(db ? { [appDbVar]: db.url } : {}),
      },
      capture === undefined ? { quiet: true } : { logDestination: capture },
    );
    return {
      ...running,
      databaseUrl: db?.url ?? env[appDbVar]!,
      close: async () => {
        await running.close();
        await db?.drop();
      },
    };
  } catch (e) {
    await db?.drop();
    throw e;
  }
}
