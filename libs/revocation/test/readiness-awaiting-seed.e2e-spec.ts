import { type DynamicModule, Module } from '@nestjs/common';
import { type AppDefinition, type BaseConfig, PlatformModule, loadBaseConfig } from '@authmesh/platform';
import { RedisRevocationStore, RevocationKeyspace, RevocationModule } from '@authmesh/revocation';
import { OwnedRedis, newTestApp, waitFor, type TestApp } from '@authmesh/testing';
import { Redis } from 'ioredis';

@Module({})
class VerifierModule {
  static forRoot(config: BaseConfig): DynamicModule {
    return {
      module: VerifierModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        RevocationModule.forRoot({ maxStalenessSeconds: 30, outagePolicy: 'reject', clockToleranceSeconds: 30, startupWaitMs: 100 }),
      ],
    };
  }
}
const verifierApp: AppDefinition = {
  name: 'orders',
  loadConfig: (env) => loadBaseConfig('orders', env),
  rootModule: (c) => VerifierModule.forRoot(c),
};

interface ReadyBody {
  info?: Record<string, Record<string, unknown>>;
  details?: { error?: Record<string, Record<string, unknown>> };
}

// A verifier booted on a Redis that holds no generation marker (auth has not seeded the blocklist):
// not ready, and both readiness and the metrics say why; ready once the marker is written.
describe('a verifier waiting for auth to seed the blocklist', () => {
  let redis: OwnedRedis;
  let writer: Redis;
  let app: TestApp | undefined;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    writer = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await writer.connect();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    writer?.disconnect();
    await redis?.stop();
  });

  const ready = async (): Promise<{ status: number; body: ReadyBody }> => {
    const res = await fetch(`${app!.managementUrl}/health/ready`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as ReadyBody };
  };
  const awaitingGauge = async (): Promise<string | undefined> =>
    /^revocation_mirror_awaiting_seed\{[^}]*\} (\d)$/m.exec(await (await fetch(`${app!.managementUrl}/metrics`)).text())?.[1];

  it('is not ready while the marker is missing (readiness says auth is re-seeding, the gauge is 1), and ready once it is written', async () => {
    app = await newTestApp(verifierApp, { REDIS_URL: redis.url }, { seedRevocationMarker: false });
    const reason = 'revocation data is being re-seeded by auth';
    // Connecting first (a few ms), then waiting for the seed.
    await waitFor(async () => String((await ready()).body.details?.error?.revocation?.message).includes(reason), 5000, 20);
    const notReady = await ready();
    expect(notReady.status).toBe(503);
    expect(notReady.body.details?.error?.revocation).toMatchObject({
      status: 'down',
      message: expect.stringContaining(reason),
    });
    expect(await awaitingGauge()).toBe('1');

    const seeder = new RedisRevocationStore(writer, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
    await seeder.markSeeded(Date.now(), await seeder.beginSeed());
    await waitFor(async () => (await ready()).status === 200, 2000, 20);
    expect((await ready()).body.info?.revocation).toMatchObject({ status: 'up', fresh: true, synced: true, syncs: 1 });
    expect((await ready()).body.info?.revocation).not.toHaveProperty('awaitingSeed');
    expect(await awaitingGauge()).toBe('0');
  });

  it('newTestApp stands in for auth: it writes the marker when absent, never over one auth wrote', async () => {
    const key = new RevocationKeyspace().generationKey;
    await writer.del(key);
    app = await newTestApp(verifierApp, { REDIS_URL: redis.url });
    await waitFor(async () => (await ready()).status === 200, 5000, 50);
    const written = await writer.get(key);
    expect(written).toMatch(/^\d{13}$/);
    await app.close();
    app = await newTestApp(verifierApp, { REDIS_URL: redis.url });
    expect(await writer.get(key)).toBe(written);
  });
});
