import { OwnedRedis } from '@authmesh/testing';
import { type TestTopology, runDemo, startTestTopology } from './support.js';

// `npm run demo` against the multi-process topology on real PostgreSQL and a real Redis — one this
// file owns, because the last step FLUSHALLs it (the Redis every other file shares must not be).
describe('npm run demo against the topology (e2e: 7 processes, real PostgreSQL, a Redis of its own)', () => {
  let redis: OwnedRedis;
  let topo: TestTopology;

  beforeAll(async () => {
    redis = await OwnedRedis.start();
    topo = await startTestTopology({ redisUrl: redis.url });
  }, 80_000);
  afterAll(async () => {
    await topo?.close();
    await redis?.stop();
  }, 30_000);

  it('passes every step, the FLUSHALL one included: the revocations hold while auth re-seeds Redis from its ledger', async () => {
    const run = await runDemo({
      GATEWAY_URL: topo.urls.gateway,
      AUTH_URL: topo.urls.auth,
      ORDERS_URL: topo.urls.orders,
      PROFILES_URL: topo.urls.profiles,
      REDIS_URL: redis.url,
      AUTHCTL_CLIENT_SECRET: topo.secrets.clientSecret('authctl'),
    });
    if (run.code !== 0) throw new Error(`demo exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    expect(run.stdout).toContain(`demo: against the suite at ${topo.urls.gateway}`);
    const stepLines = run.stdout.split('\n').filter((l) => /^[✓✗-] +\d+\. /.test(l));
    expect(stepLines).toHaveLength(10);
    expect(stepLines.every((l) => l.startsWith('✓'))).toBe(true);
    expect(stepLines[9]).toMatch(/FLUSHALL Redis: the revocations still hold: Redis emptied; auth re-seeded it from its ledger in \d+ ms/);
    expect(run.stdout).toContain('demo: every step behaved');
  }, 60_000);
});
