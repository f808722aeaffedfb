import { OwnedRedisSentinel } from '@authmesh/testing';
import { type Suite, allReady, failoverScenario, logout, newUserToken, startSuite, whoami } from './support/redis-failover-scenario.js';

// The suite behind Redis Sentinel this test owns (a primary, a replica, 3 sentinels with quorum 2):
// every app asks the sentinels for the master (REDIS_URL=redis+sentinel://…/<name>), and a
// failover — the primary SIGKILLed, the replica promoted — loses nothing that was refused.
describe('the suite on Redis Sentinel (e2e)', () => {
  let sentinel: OwnedRedisSentinel;
  let suite: Suite;

  beforeAll(async () => {
    sentinel = await OwnedRedisSentinel.start();
    suite = await startSuite(sentinel.url);
  }, 60_000);
  afterAll(async () => {
    await suite?.close();
    await sentinel?.stop();
  });

  it('revokes through auth and refuses at orders', async () => {
    expect(await allReady(suite)).toBe(true);
    const token = await newUserToken(suite, 'rs-revoke');
    expect((await whoami(suite, token)).status).toBe(200);
    expect(await logout(suite, token)).toBe(200);
    const deadline = Date.now() + 5000;
    while ((await whoami(suite, token)).code !== 'token_revoked' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await whoami(suite, token)).toEqual({ status: 401, code: 'token_revoked' });
  });

  it('keeps every revocation across a failover of the primary', async () => {
    await failoverScenario(suite, {
      url: sentinel.url,
      failover: async () => {
        await sentinel.killPrimary();
      },
      replicated: () => sentinel.waitReplicated(),
    });
  }, 60_000);
});
