import { type AppDefinition, type BaseConfig, type RunningApp, startApp } from '@authmesh/platform';
import { createTestDatabase, testRedisUrl } from './test-database.js';

export interface TestApp<C extends BaseConfig = BaseConfig> extends RunningApp<C> {
  /** Database URL the app uses (a fresh one of its own unless given). */
  databaseUrl: string;
}

/**
 * Every test file shares one Redis and one client address (127.0.0.1), so auth's per-address
 * budgets (kept in Redis) would be spent by all files running in parallel and throttle unrelated
 * tests. Tests of those limits set them explicitly (an explicit env wins).
 */
const UNTHROTTLED: Readonly<Record<string, string>> = {
  AUTH_RATE_LIMIT_PER_MIN: '1000000',
  AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
};

/**
 * Boots one app on a free port against a fresh database of its own and the real Redis, quietly.
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
): Promise<TestApp<C>> {
  const appDbVar = `${definition.name.toUpperCase()}_DATABASE_URL`;
  const db = env[appDbVar] ? undefined : await createTestDatabase(definition.name);
  try {
    const running = await startApp(
      definition,
      {
        REDIS_URL: testRedisUrl(),
        LOG_LEVEL: 'silent',
        PORT: '0',
        MANAGEMENT_PORT: '0',
        ...UNTHROTTLED,
        ...env,
        ...(db ? { [appDbVar]: db.url } : {}),
      },
      { quiet: true },
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
