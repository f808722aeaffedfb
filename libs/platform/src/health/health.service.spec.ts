import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthIndicatorService, TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { NotReadyError } from '../errors/app-error.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { HealthService } from './health.service.js';
import { ReadinessRegistry } from './readiness-registry.js';

/** The dependencies' answers, switched by each test. */
const deps = { database: true, redis: true };
const indicators = new HealthIndicatorService();
const fakeDb = {
  pingCheck: (key: string) =>
    indicators.check(key).attempt(() => {
      if (!deps.database) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    }),
};
const fakeRedis = {
  mode: 'redis',
  ping: async () => {
    if (!deps.redis) throw new Error('Connection is closed.');
  },
};

async function healthWith(registry: ReadinessRegistry): Promise<{ health: HealthService; close: () => Promise<void> }> {
  @Module({
    imports: [TerminusModule.forRoot({ logger: false })],
    providers: [
      HealthService,
      { provide: ReadinessRegistry, useValue: registry },
      { provide: RedisConnection, useValue: fakeRedis },
      { provide: TypeOrmHealthIndicator, useValue: fakeDb },
    ],
  })
  class HealthTestModule {}
  const app = await NestFactory.createApplicationContext(HealthTestModule, { logger: false });
  return { health: app.get(HealthService), close: () => app.close() };
}

/** 503 (NotReadyError) or the 200 body. */
async function outcome(health: HealthService): Promise<unknown> {
  try {
    return await health.ready();
  } catch (e) {
    if (e instanceof NotReadyError) return 'not_ready';
    throw e;
  }
}

describe('HealthService: readiness follows what the instance can serve, not the shared dependencies', () => {
  afterEach(() => {
    deps.database = true;
    deps.redis = true;
  });

  it('is ok when everything answers', async () => {
    const { health, close } = await healthWith(new ReadinessRegistry());
    expect(await outcome(health)).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, redis: { status: 'up', mode: 'redis' } },
    });
    await close();
  });

  it('stays ready, degraded, with the database or Redis down: reported with down: true and the error', async () => {
    const registry = new ReadinessRegistry();
    registry.register('jwks', async () => ({ keys: 1 }));
    const { health, close } = await healthWith(registry);
    deps.database = false;
    deps.redis = false;
    expect(await outcome(health)).toMatchObject({
      status: 'degraded',
      info: {
        database: { status: 'degraded', down: true, message: 'connect ECONNREFUSED 127.0.0.1:5432' },
        redis: { status: 'degraded', down: true, message: 'Connection is closed.' },
        jwks: { status: 'up', keys: 1 },
      },
      error: {},
    });
    await close();
  });

  it('is not ready when a registered check fails, whatever the dependencies say', async () => {
    const registry = new ReadinessRegistry();
    registry.register('revocation', async () => {
      throw new Error('revocation data is 31s old, beyond the 30s bound');
    });
    const { health, close } = await healthWith(registry);
    expect(await outcome(health)).toBe('not_ready');
    const error = (await health.ready().catch((e: unknown) => e)) as NotReadyError;
    expect(error.details).toMatchObject({
      status: 'error',
      error: { revocation: { status: 'down', message: expect.stringMatching(/beyond/) } },
    });
    await close();
  });

  it('reports a check the app made report-only as degraded with down: true instead of failing on it', async () => {
    const registry = new ReadinessRegistry({ reportOnly: ['revocation'] });
    registry.register('revocation', async () => {
      throw new Error('revocation data is 31s old, beyond the 30s bound');
    });
    registry.register('jwks', async () => ({ keys: 2 }));
    expect(registry.gates('revocation')).toBe(false);
    expect(registry.gates('jwks')).toBe(true);
    const { health, close } = await healthWith(registry);
    expect(await outcome(health)).toMatchObject({
      status: 'degraded',
      info: { revocation: { status: 'degraded', down: true, message: expect.stringMatching(/beyond/) }, jwks: { status: 'up' } },
    });
    await close();
  });

  it("turns a passing check's degraded: true (a JWKS that cannot refresh, a mirror failing open) into the degraded status", async () => {
    const registry = new ReadinessRegistry();
    registry.register('jwks', async () => ({ keys: 1, degraded: true }));
    const { health, close } = await healthWith(registry);
    expect(await outcome(health)).toMatchObject({ status: 'degraded', info: { jwks: { status: 'degraded', degraded: true, keys: 1 } } });
    await close();
  });
});
