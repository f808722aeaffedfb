import { type DynamicModule, Module } from '@nestjs/common';
import { type AppDefinition, type BaseConfig, PlatformModule, loadBaseConfig } from '@authmesh/platform';
import { OwnedPostgres, OwnedRedis, newTestApp, waitFor, type TestApp } from '@authmesh/testing';

@Module({})
class BareModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return { module: BareModule, imports: [PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } })] };
  }
}
const bareApp: AppDefinition = {
  name: 'orders',
  loadConfig: (env) => loadBaseConfig('orders', env),
  rootModule: (c) => BareModule.forRoot(c),
};

// Faults are real: the test owns a PostgreSQL and a Redis server and stops them.
describe('readiness follows real outages of Postgres and Redis', () => {
  let pg: OwnedPostgres;
  let redis: OwnedRedis;
  let app: TestApp;

  beforeAll(async () => {
    [pg, redis] = await Promise.all([OwnedPostgres.start(), OwnedRedis.start()]);
    app = await newTestApp(bareApp, { ORDERS_DATABASE_URL: pg.url(), REDIS_URL: redis.url, DB_CONNECT_TIMEOUT_MS: '1000' });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([pg?.destroy(), redis?.stop()]);
  });

  const ready = async (): Promise<Response> => fetch(`${app.managementUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });

  it('answers 503 with Retry-After while Postgres is stopped, and 200 again after it is back, without a restart', async () => {
    expect((await ready()).status).toBe(200);
    await pg.stop();
    const started = Date.now();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toMatchObject({ code: 'not_ready', details: { error: { database: { status: 'down' } } } });
    await pg.start();
    await waitFor(async () => (await ready()).status === 200, 20_000, 250);
  });

  it('answers 503 while Redis is stopped, and 200 again after it is back', async () => {
    await redis.stop();
    await waitFor(async () => (await ready()).status === 503, 5000, 100);
    const down = await ready();
    expect(await down.json()).toMatchObject({ details: { error: { redis: { status: 'down' } }, info: { database: { status: 'up' } } } });
    await redis.start();
    await waitFor(async () => (await ready()).status === 200, 20_000, 250);
  });

  it('keeps answering liveness 200 during an outage (a DB outage must not restart pods)', async () => {
    await pg.stop();
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    await pg.start();
    await waitFor(async () => (await ready()).status === 200, 20_000, 250);
  });
});
