import { OwnedRedisSentinel, newTestApp, waitFor } from '@authmesh/testing';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { ORDERS_CLIENT, verifierEnv } from './gateway/support/gateway-fixture.js';
import { type Suite, logout, newUserToken, startSuite, whoami } from './support/redis-failover-scenario.js';

// Redis replication is asynchronous: a write the primary acknowledged but had not yet sent to its
// replica is lost when the primary dies and the replica is promoted. Here the replica's link is
// really cut (OwnedRedisSentinel's proxy) before a revocation, then the primary is killed.
//
// KNOWN GAP (issue 15): auth re-seeds Redis from its ledger only when the generation marker is
// missing, and the marker was replicated long before, so the lost entry is never written again.
// The orders instance that saw it keeps refusing it (its mirror only adds), but a verifier started
// after the failover accepts the revoked token. The last assertion states that gap exactly (not
// `it.failing`, which any timeout would satisfy); once auth restores what a failover lost (e.g.
// WAIT 1 on revocation writes with the outbox retrying unacknowledged ones, or a re-seed when the
// master's replication id changes), it fails: make it expect 401.
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

  it('KNOWN GAP: is accepted (200) by a verifier started after the failover', async () => {
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
      // The gap: 200. Fixed, this is 401 `token_revoked`.
      expect(await ask(lost)).toBe(200);
    } finally {
      await late.close();
    }
  }, 60_000);
});
