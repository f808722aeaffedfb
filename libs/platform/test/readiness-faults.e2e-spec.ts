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

// Faults are real: the test owns a PostgreSQL and a Redis server and stops them. This app registers
// no check of its own, so nothing it serves depends on either: readiness reports the outage and
// stays 200 (every replica shares both; failing readiness would empty the Service at once).
describe('readiness reports real outages of Postgres and Redis without failing on them', () => {
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
  const status = async (name: string): Promise<unknown> =>
    ((await (await ready()).json()) as { details: Record<string, { status: string }> }).details[name]?.status;

  it('answers 200 degraded with database down while Postgres is stopped, within the check timeout, and ok again after it is back', async () => {
    expect(await (await ready()).json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
    await pg.stop();
    const started = Date.now();
    const down = await ready();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(down.status).toBe(200);
    expect(await down.json()).toMatchObject({
      status: 'degraded',
      info: { database: { status: 'degraded', down: true }, redis: { status: 'up' } },
    });
    // The main port's bare answer says ready too: that is what a load balancer asks.
    expect((await fetch(`${app.url}/health/ready`)).status).toBe(200);
    await pg.start();
    await waitFor(async () => (await status('database')) === 'up', 20_000, 250);
  });

  it('answers 200 degraded with redis down while Redis is stopped, and ok again after it is back', async () => {
    await redis.stop();
    await waitFor(async () => (await status('redis')) === 'degraded', 5000, 100);
    const down = await ready();
    expect(down.status).toBe(200);
    expect(await down.json()).toMatchObject({
      status: 'degraded',
      info: { redis: { status: 'degraded', down: true, message: expect.any(String) }, database: { status: 'up' } },
    });
    await redis.start();
    await waitFor(async () => (await status('redis')) === 'up', 20_000, 250);
  });

  it('keeps answering liveness 200 during an outage (a DB outage must not restart pods)', async () => {
    await pg.stop();
    expect((await fetch(`${app.url}/health/live`)).status).toBe(200);
    await pg.start();
    await waitFor(async () => (await status('database')) === 'up', 20_000, 250);
  });
});
