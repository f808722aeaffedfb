import { OwnedRedisSentinel, newTestApp, waitFor } from '@authmesh/testing';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { ORDERS_CLIENT, verifierEnv } from './gateway/support/gateway-fixture.js';
import { type Suite, logout, newUserToken, startSuite, whoami } from './support/redis-failover-scenario.js';

// Redis replication is asynchronous: a write the primary acknowledged but had not yet sent to its
// replica is lost when the primary dies and the replica is promoted. Here the replica's link is
// really cut (OwnedRedisSentinel's proxy) before a revocation, then the primary is killed.
//
// Auth keeps the stream id of every revocation it delivered and checks every second that the
// newest ones are still in the stream: here it finds the lost one missing and re-seeds under a new
// generation, so even a verifier started after the failover (which only has what the promoted
// replica holds, plus the re-seed) refuses the token within seconds.
describe('a revocation the old primary never replicated (e2e, Sentinel)', () => {
  let sentinel: OwnedRedisSentinel;
  let suite: Suite;

  beforeAll(async () => {
    sentinel = await OwnedRedisSentinel.start({ replicaViaProxy: true });
    suite = await startSuite(sentinel.url);
  }, 60_000);
  afterAll(async () => {
    await suite?.close();
    await sentinel?.stop();
  });

  it('is refused again (401) by a verifier started after the failover: auth re-seeds the lost tail', async () => {
    const [lost, bystander] = await Promise.all([newUserToken(suite, 'lw-lost'), newUserToken(suite, 'lw-bystander')]);
    await sentinel.pauseReplication();
    expect(await logout(suite, lost)).toBe(200);
    // The running orders learnt it from the primary before it died…
    await waitFor(async () => (await whoami(suite, lost)).code === 'token_revoked', 5000, 20);
    await sentinel.killPrimary();
    await waitFor(async () => (await whoami(suite, bystander)).status === 200, 20_000, 100);
    expect((await whoami(suite, lost)).code).toBe('token_revoked');

    // …a verifier that starts now only has what the promoted replica holds.
    const late = await newTestApp(ordersApp, {
      ...verifierEnv(suite.auth),
      REDIS_URL: sentinel.url,
      AUTH_TOKEN_URL: `${suite.auth.url}/oauth/token`,
      ORDERS_CLIENT_SECRET: ORDERS_CLIENT.secret,
      PROFILES_URL: suite.profiles.url,
    });
    try {
      const ask = async (token: string) => (await fetch(`${late.url}/whoami`, { headers: { authorization: `Bearer ${token}` } })).status;
      await waitFor(async () => (await ask(bystander)) === 200, 10_000, 100);
      // Auth noticed the stream lost a revocation it had delivered and re-seeded from its ledger.
      await waitFor(async () => (await ask(lost)) === 401, 10_000, 100);
    } finally {
      await late.close();
    }
  }, 60_000);
});
