import { randomBytes, randomUUID } from 'node:crypto';
import { RedisMirrorFeed, RedisRevocationStore, RevocationKeyspace, RevocationMirror } from '@authmesh/revocation';
import { OwnedRedis, testRedisUrl, waitFor, TcpProxy } from '@authmesh/testing';
import { Redis } from 'ioredis';

const claimsOf = (jti: string, sub = 'nobody', iat = Math.floor(Date.now() / 1000) - 5) => ({ jti, sub, iat });

describe('RedisMirrorFeed (real Redis)', () => {
  const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
  const keyspace = new RevocationKeyspace(keyPrefix);
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300, keyPrefix };
  let client: Redis;
  let store: RedisRevocationStore;
  let mirror: RevocationMirror;
  let feed: RedisMirrorFeed;

  beforeAll(async () => {
    client = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'authmesh-feedtest' });
    await client.connect();
    store = new RedisRevocationStore(client, options);
  });
  afterAll(async () => {
    await feed?.stop();
    client?.disconnect();
  });

  it('loads what Redis already holds on start, including keys written without a message', async () => {
    const early = randomUUID();
    await store.revokeToken(early, new Date(Date.now() + 60_000));
    const silent = randomUUID();
    await client.set(keyspace.jtiKey(silent), String(Date.now() + 60_000), 'PX', 60_000);
    await client.set(keyspace.subKey('silent-user'), String(Date.now()), 'PX', 60_000);
    // Auth's seed (no auth here): without the marker the feed would wait for it.
    await store.markSeeded(Date.now(), await store.beginSeed());

    mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    feed = new RedisMirrorFeed(client, mirror, { keyPrefix, heartbeatMs: 200, name: `feedtest-${keyPrefix.slice(5, 13)}` });
    await feed.start();
    expect(mirror.revocationOf(claimsOf(early))).toBe('token');
    expect(mirror.revocationOf(claimsOf(silent))).toBe('token');
    expect(mirror.revocationOf(claimsOf('x', 'silent-user'))).toBe('subject');
    expect(feed.status()).toMatchObject({ source: 'redis', connected: true, synced: true, syncs: 1 });
    expect(mirror.stalenessMs()).toBeLessThan(1000);
  });

  it('sees a revocation published after start within 100 ms', async () => {
    const jti = randomUUID();
    const started = performance.now();
    await store.revokeToken(jti, new Date(Date.now() + 60_000));
    await waitFor(() => mirror.revocationOf(claimsOf(jti)) === 'token', 1000, 1);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('ignores a malformed message on the channel and keeps working', async () => {
    await client.publish(keyspace.channel, '{"kind":"jti","jti":42}');
    await client.publish(keyspace.channel, 'not json');
    const jti = randomUUID();
    await store.revokeToken(jti, new Date(Date.now() + 60_000));
    await waitFor(() => mirror.revocationOf(claimsOf(jti)) === 'token', 1000, 5);
  });

  it('proves the subscription alive with a heartbeat: staleness stays near the heartbeat interval', async () => {
    await new Promise((r) => setTimeout(r, 700));
    expect(mirror.stalenessMs()).toBeLessThan(600);
  });

  it('re-syncs after its subscriber connection is killed', async () => {
    const list = await client.client('LIST');
    const id = new RegExp(`id=(\\d+) [^\\n]*name=authmesh-feedtest-${keyPrefix.slice(5, 13)}-revocation-sub `).exec(String(list))?.[1];
    expect(id).toBeDefined();
    await client.client('KILL', 'ID', id!);
    await waitFor(() => feed.status().syncs === 2, 5000, 20);
    expect(feed.status()).toMatchObject({ connected: true, synced: true });
  });
});

describe('RedisMirrorFeed across a Redis restart (owned redis-server behind a proxy)', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
  let server: OwnedRedis;
  let proxy: TcpProxy;
  let writer: Redis;
  let feedClient: Redis;
  let mirror: RevocationMirror;
  let feed: RedisMirrorFeed;

  beforeAll(async () => {
    server = await OwnedRedis.start();
    proxy = await TcpProxy.start(server.port);
    writer = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    writer.on('error', () => undefined);
    await writer.connect();
    const seeder = new RedisRevocationStore(writer, options);
    await seeder.markSeeded(Date.now(), await seeder.beginSeed());
    // The verifier's connection, configured as platform's RedisConnection configures it.
    feedClient = new Redis(proxy.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (n) => Math.min(n * 50, 200),
    });
    mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    feed = new RedisMirrorFeed(feedClient, mirror, { heartbeatMs: 100, commandTimeoutMs: 300 });
    await feed.start();
  });
  afterAll(async () => {
    await feed?.stop();
    feedClient?.disconnect();
    writer?.disconnect();
    await proxy?.close();
    await server?.stop();
  });

  it('goes stale while Redis is down, keeps what it knew, and after the restart honours what was written meanwhile', async () => {
    const store = new RedisRevocationStore(writer, options);
    const before = randomUUID();
    await store.revokeToken(before, new Date(Date.now() + 60_000));
    await waitFor(() => mirror.revocationOf(claimsOf(before)) === 'token', 1000, 5);

    await proxy.block();
    await server.stop();
    await waitFor(() => mirror.stalenessMs() > 500, 3000, 20);
    expect(feed.status()).toMatchObject({ connected: false, synced: false });
    expect(mirror.revocationOf(claimsOf(before))).toBe('token');

    await server.start(); // empty: nothing is persisted
    await waitFor(() => writer.status === 'ready', 5000, 20);
    const during = randomUUID();
    await store.revokeToken(during, new Date(Date.now() + 60_000)); // its message reaches no one
    await writer.set(`revoked:sub:user-during`, String(Date.now()), 'PX', 60_000);
    expect(mirror.revocationOf(claimsOf(during))).toBeUndefined();
    // What auth's re-seed ends with; the marker-less case is redis-mirror-feed-seed.int-spec.ts's.
    await store.markSeeded(Date.now(), await store.beginSeed());

    await proxy.unblock();
    await waitFor(() => feed.status().synced, 5000, 20);
    expect(mirror.revocationOf(claimsOf(during))).toBe('token');
    expect(mirror.revocationOf(claimsOf('x', 'user-during'))).toBe('subject');
    // The restart lost `before` in Redis; the mirror merges rather than replaces, so it still knows it.
    expect(mirror.revocationOf(claimsOf(before))).toBe('token');
    expect(mirror.stalenessMs()).toBeLessThan(500);
  });
});
