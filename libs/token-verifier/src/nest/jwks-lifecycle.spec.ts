import { jest } from '@jest/globals';
import { ReadinessRegistry } from '@authmesh/platform';
import type { JwksStatus } from '../core/jwks/jwks-cache.js';
import { JwksLifecycle, type ManagedKeySource } from './jwks-lifecycle.js';

const healthy: JwksStatus = {
  usable: true,
  kids: ['k1', 'k2'],
  lastSuccessAt: 1_000,
  ageSeconds: 12.4,
  lastResult: 'not_modified',
  lastError: undefined,
  consecutiveFailures: 0,
};

async function jwksCheck(keys: Partial<ManagedKeySource>, maxStalenessSeconds: number | null = 86_400) {
  const readiness = new ReadinessRegistry();
  const lifecycle = new JwksLifecycle(keys, readiness, {
    name: 'spec',
    origin: 'http://auth/jwks',
    startupWaitMs: 10,
    maxStalenessSeconds,
  });
  await lifecycle.onModuleInit();
  return { lifecycle, check: readiness.entries().find(([name]) => name === 'jwks')?.[1] };
}

describe('JwksLifecycle', () => {
  it('reports keys, age, bound and last result: the one readiness shape of every service', async () => {
    const { check } = await jwksCheck({ status: () => healthy });
    await expect(check!()).resolves.toEqual({ keys: 2, ageSeconds: 12, maxStalenessSeconds: 86_400, lastResult: 'not_modified' });
  });

  it('stays ready but says degraded while refreshes fail within the bound', async () => {
    const { check } = await jwksCheck({ status: () => ({ ...healthy, consecutiveFailures: 2, lastError: 'HTTP 503' }) });
    await expect(check!()).resolves.toMatchObject({ degraded: true, lastError: 'HTTP 503' });
  });

  it('is not ready before any keys arrived, naming where they come from', async () => {
    const never = { ...healthy, usable: false, kids: [], lastSuccessAt: undefined, ageSeconds: Infinity, lastError: 'ECONNREFUSED' };
    const { check } = await jwksCheck({ status: () => never });
    await expect(check!()).rejects.toThrow('no JWKS loaded yet from http://auth/jwks (ECONNREFUSED)');
  });

  it('starts the source with the app without waiting past startupWaitMs, and stops it on shutdown', async () => {
    // Fake clock: start-up must give up at startupWaitMs (10 ms) on a source that never loads,
    // however slow the machine (a wall-clock bound here flaked under load).
    jest.useFakeTimers();
    try {
      let stopped = false;
      let initDone = false;
      const init = jwksCheck({
        status: () => healthy,
        start: () => new Promise(() => undefined),
        stop: () => (stopped = true),
      }).then((r) => ((initDone = true), r));
      await jest.advanceTimersByTimeAsync(9);
      expect(initDone).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      const { lifecycle } = await init;
      expect(initDone).toBe(true);
      lifecycle.onApplicationShutdown();
      expect(stopped).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('registers no check for a source that cannot report its state', async () => {
    const { check } = await jwksCheck({});
    expect(check).toBeUndefined();
  });
});
