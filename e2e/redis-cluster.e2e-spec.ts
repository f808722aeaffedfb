import { RevocationKeyspace } from '@authmesh/revocation';
import { OwnedRedisCluster } from '@authmesh/testing';
import { Cluster } from 'ioredis';
import { sessionHash } from '../apps/gateway/src/session/session-seal.js';
import { storeKey } from '../apps/gateway/src/session/session.service.js';
import { Browser } from './gateway/support/browser.js';
import { registerUser } from './gateway/support/gateway-fixture.js';
import {
  type Suite,
  allReady,
  failoverScenario,
  logout,
  newUserToken,
  sessionStillWorks,
  startSuite,
  whoami,
} from './support/redis-failover-scenario.js';

// The suite on a Redis Cluster this test owns (3 masters, 1 replica each, slots assigned by the
// test): revocation, sessions, limits and locks work on it, and a master failover loses nothing
// that was refused. The master killed is the one holding the generation marker, i.e. the
// revocation data (all of it once the revocation keys share one hash tag).
describe('the suite on Redis Cluster (e2e)', () => {
  let cluster: OwnedRedisCluster;
  let suite: Suite;

  beforeAll(async () => {
    cluster = await OwnedRedisCluster.start();
    suite = await startSuite(cluster.url);
  }, 60_000);
  afterAll(async () => {
    await suite?.close();
    await cluster?.stop();
  });

  it('revokes through auth and refuses at orders', async () => {
    expect(await allReady(suite)).toBe(true);
    const token = await newUserToken(suite, 'rc-revoke');
    expect((await whoami(suite, token)).status).toBe(200);
    expect(await logout(suite, token)).toBe(200);
    // Propagation, not polling for a fix: the first refusal comes within the feed's delivery time.
    const deadline = Date.now() + 5000;
    while ((await whoami(suite, token)).code !== 'token_revoked' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await whoami(suite, token)).toEqual({ status: 401, code: 'token_revoked' });
  });

  it('keeps rate-limit counters in the cluster, not in the per-instance fallback', async () => {
    // rate-limiter-flexible falls back to memory (its insurance limiter) on any store error, so a
    // limiter that could not use a Cluster client would pass every other test unnoticed.
    const browser = new Browser(suite.gateway);
    expect((await browser.login(await registerUser(suite.auth.url, 'rc-limits'))).status).toBe(200);
    const client = new Cluster(cluster.seeds, { lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const keys = async (pattern: string) => (await Promise.all(client.nodes('master').map((n) => n.keys(pattern)))).flat();
      expect(await keys('auth:rate:addr:*')).not.toEqual([]);
      expect(await keys(`${suite.gateway.config.gateway.redisKeyPrefix}rate:*`)).not.toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('keeps every revocation across the failover of the master holding the revocation data', async () => {
    const marker = new RevocationKeyspace().generationKey;
    await failoverScenario(suite, {
      url: cluster.url,
      failover: async () => {
        await cluster.killMaster(marker);
      },
      // Every master's replica, since the session may live on any of them.
      replicated: () => cluster.waitAllReplicated(),
    });
  }, 60_000);

  it('keeps a BFF session, and refreshes it under its lock, across the failover of the master holding it', async () => {
    // The previous failover left one master without a replica: bring the killed node back (it
    // rejoins as a replica) so this one has a replica to elect whichever master holds the session.
    for (const node of cluster.nodes) if (!cluster.livePorts.includes(node.port)) await cluster.restartNode(node.port);
    const browser = new Browser(suite.gateway);
    expect((await browser.login(await registerUser(suite.auth.url, 'rc-bff'))).status).toBe(200);
    const key = `${suite.gateway.config.gateway.redisKeyPrefix}${storeKey(sessionHash(browser.cookie!))}`;
    const loggedInAt = Date.now();
    // Replication is asynchronous: only a session its replica holds can survive the kill.
    await cluster.waitReplicated(key);
    await cluster.killMaster(key);
    await sessionStillWorks(suite, browser, loggedInAt);
    // Logout: revokes at auth and deletes the session key in its (new) master.
    expect((await browser.send('POST', '/session/logout')).status).toBe(200);
    expect((await browser.send('GET', '/session')).body).toMatchObject({ authenticated: false });
  }, 60_000);
});
