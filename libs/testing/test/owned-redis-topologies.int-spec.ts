import { Cluster, Redis } from 'ioredis';
import { OwnedRedisCluster, OwnedRedisSentinel } from '../src/owned-redis-topologies.js';

/**
 * The fleet harness itself: real servers, real failovers. What the e2e tests on Cluster and
 * Sentinel rely on — the topology is up when start() returns, a kill is a failover that keeps what
 * was replicated, pausing replication really loses writes, stop() leaves no server behind.
 */
describe('OwnedRedisCluster', () => {
  let cluster: OwnedRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await OwnedRedisCluster.start();
    client = new Cluster(cluster.seeds, { lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('serves every slot, and a killed master is replaced by its replica with the replicated data', async () => {
    expect(cluster.nodes).toHaveLength(6);
    await client.set('{t}:a', '1');
    await client.set('{t}:b', '2');
    // WAIT: the write reached the replica, so the failover must keep it.
    const master = await cluster.masterOf('{t}:a');
    const direct = new Redis({ port: master, lazyConnect: true });
    await direct.connect();
    expect(await direct.wait(1, 2000)).toBe(1);
    direct.disconnect();

    const { killed, promoted } = await cluster.killMaster('{t}:a');
    expect(killed).toBe(master);
    expect(promoted).not.toBe(master);
    expect(cluster.livePorts).not.toContain(killed);
    expect(await client.mget('{t}:a', '{t}:b')).toEqual(['1', '2']);

    await cluster.restartNode(killed);
    expect(cluster.livePorts).toContain(killed);
    expect(await cluster.masterOf('{t}:a')).toBe(promoted);
  }, 60_000);
});

describe('OwnedRedisSentinel', () => {
  let sentinel: OwnedRedisSentinel;

  afterEach(async () => {
    await sentinel?.stop();
  });

  function viaSentinels(): Redis {
    const c = new Redis({ sentinels: sentinel.sentinelAddresses, name: sentinel.masterName, lazyConnect: true, failoverDetector: true });
    c.on('error', () => undefined);
    return c;
  }

  it('fails over to the replica, which kept what was replicated', async () => {
    sentinel = await OwnedRedisSentinel.start();
    const client = viaSentinels();
    await client.connect();
    try {
      await client.set('k', 'v');
      expect(await client.wait(1, 2000)).toBe(1);
      const { killed, promoted } = await sentinel.killPrimary();
      expect(sentinel.masterPort).toBe(promoted);
      expect(promoted).not.toBe(killed);
      const after = new Redis({ port: promoted, lazyConnect: true });
      await after.connect();
      expect(await after.get('k')).toBe('v');
      after.disconnect();
      await sentinel.restartServer(killed);
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('loses, for real, a write made while replication was paused', async () => {
    sentinel = await OwnedRedisSentinel.start({ replicaViaProxy: true });
    const primary = new Redis({ port: sentinel.masterPort, lazyConnect: true });
    await primary.connect();
    await primary.set('kept', '1');
    expect(await primary.wait(1, 2000)).toBe(1);
    await sentinel.pauseReplication();
    await primary.set('lost', '1');
    expect(await primary.wait(1, 300)).toBe(0);
    primary.disconnect();
    const { promoted } = await sentinel.killPrimary();
    const after = new Redis({ port: promoted, lazyConnect: true });
    await after.connect();
    expect(await after.get('kept')).toBe('1');
    expect(await after.get('lost')).toBeNull();
    after.disconnect();
  }, 60_000);
});
