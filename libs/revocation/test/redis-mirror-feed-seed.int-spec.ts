import { randomUUID } from 'node:crypto';
import { RedisMirrorFeed, RedisRevocationStore, RevocationKeyspace, RevocationMirror } from '@authmesh/revocation';
import { OwnedRedis, TcpProxy, waitFor } from '@authmesh/testing';
import { Redis } from 'ioredis';

const claimsOf = (jti: string, sub = 'nobody', iat = Math.floor(Date.now() / 1000) - 5) => ({ jti, sub, iat });
const keyspace = new RevocationKeyspace();
const storeOptions = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
const inAMinute = () => new Date(Date.now() + 60_000);

/** A verifier's feed on its own connection, configured as platform's RedisConnection configures it. */
function verifierFeed(url: string, name: string): { client: Redis; mirror: RevocationMirror; feed: RedisMirrorFeed; awaiting: boolean[] } {
  const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  const mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
  const awaiting: boolean[] = [];
  const feed = new RedisMirrorFeed(client, mirror, {
    heartbeatMs: 100,
    commandTimeoutMs: 300,
    name,
    observer: { awaitingSeed: (waiting) => awaiting.push(waiting) },
  });
  return { client, mirror, feed, awaiting };
}

// The generation marker auth writes once the blocklist holds its whole ledger: a Redis this file
// owns is flushed and restarted empty under real feeds, and a writer store stands in for auth.
describe('RedisMirrorFeed and the generation marker (owned redis-server)', () => {
  let server: OwnedRedis;
  let writer: Redis;
  let store: RedisRevocationStore;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    server = await OwnedRedis.start();
    writer = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    writer.on('error', () => undefined);
    await writer.connect();
    store = new RedisRevocationStore(writer, storeOptions);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    writer?.disconnect();
    await server?.stop();
  });

  function started(url = server.url, name = `seed-${randomUUID().slice(0, 8)}`): ReturnType<typeof verifierFeed> {
    const v = verifierFeed(url, name);
    cleanups.push(async () => {
      await v.feed.stop();
      v.client.disconnect();
    });
    void v.feed.start();
    return v;
  }

  it('a feed started on a Redis without the marker is not synced and says why, and is synced within a second of markSeeded', async () => {
    await writer.flushall();
    const early = randomUUID();
    await store.revokeToken(early, inAMinute());
    const v = started();
    await waitFor(() => v.feed.status().awaitingSeed === true, 3000, 10);
    // Several polls later it still has not called a possibly partial blocklist complete.
    await new Promise((r) => setTimeout(r, 700));
    expect(v.feed.status()).toMatchObject({ connected: true, synced: false, syncs: 0, awaitingSeed: true });
    expect(v.mirror.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    expect(v.awaiting).toEqual([true]);

    const seededAt = performance.now();
    await store.markSeeded(Date.now(), await store.beginSeed());
    await waitFor(() => v.feed.status().synced, 2000, 5);
    expect(performance.now() - seededAt).toBeLessThan(1000);
    expect(v.feed.status()).not.toHaveProperty('awaitingSeed');
    expect(v.awaiting).toEqual([true, false]);
    expect(v.mirror.revocationOf(claimsOf(early))).toBe('token');
    expect(v.mirror.stalenessMs()).toBeLessThan(500);
  });

  it('reads a seed under way (the marker key holding seeding:<token>) as no marker: keeps waiting until markSeeded', async () => {
    await writer.flushall();
    const token = await store.beginSeed();
    expect(await writer.get(keyspace.generationKey)).toBe(`seeding:${token}`);
    const v = started();
    await waitFor(() => v.feed.status().awaitingSeed === true, 3000, 10);
    await new Promise((r) => setTimeout(r, 700)); // several polls
    expect(v.feed.status()).toMatchObject({ connected: true, synced: false, syncs: 0, awaitingSeed: true });
    await store.markSeeded(Date.now(), token);
    await waitFor(() => v.feed.status().synced, 2000, 5);
  });

  it('finds a marker written without its announcement within the poll interval (≤ 500 ms)', async () => {
    await writer.flushall();
    const v = started();
    await waitFor(() => v.feed.status().awaitingSeed === true, 3000, 10);
    // Long enough for the poll's backoff to reach its cap.
    await new Promise((r) => setTimeout(r, 1200));
    const seededAt = performance.now();
    await writer.set(keyspace.generationKey, String(Date.now()));
    await waitFor(() => v.feed.status().synced, 2000, 5);
    expect(performance.now() - seededAt).toBeLessThan(700);
  });

  it("keeps every entry through a FLUSHALL and stays fresh, and answers the re-seed's resync with a merging full read", async () => {
    await store.markSeeded(Date.now(), await store.beginSeed());
    const v = started();
    await waitFor(() => v.feed.status().synced, 3000, 10);
    const held = randomUUID();
    await store.revokeToken(held, inAMinute());
    await store.revokeSubject('user-held', new Date());
    await waitFor(() => v.mirror.revocationOf(claimsOf(held)) === 'token', 1000, 5);
    const syncsBefore = v.feed.status().syncs;

    await writer.flushall();
    // Connected throughout: no event lost, so its reads keep it fresh and nothing is dropped.
    await new Promise((r) => setTimeout(r, 600));
    expect(v.feed.status()).toMatchObject({ connected: true, synced: true, syncs: syncsBefore });
    expect(v.feed.status()).not.toHaveProperty('awaitingSeed');
    // Up to the 100 ms block time plus two of Redis's timer ticks (100 ms at hz 10: a block timeout
    // fires on a tick), plus scheduling on a loaded machine.
    expect(v.mirror.stalenessMs()).toBeLessThan(500);
    expect(v.mirror.revocationOf(claimsOf(held))).toBe('token');
    expect(v.mirror.revocationOf(claimsOf('x', 'user-held'))).toBe('subject');

    // Auth's re-seed: its entries, then its resync, which sends the feed through a full (merging) read.
    const reseeded = randomUUID();
    const fullReadsBefore = v.feed.status().fullReads!;
    const token = await store.beginSeed();
    await store.seedEntries([{ kind: 'jti', jti: reseeded, expiresAtMs: Date.now() + 60_000 }]);
    await store.markSeeded(Date.now(), token);
    await waitFor(() => v.mirror.revocationOf(claimsOf(reseeded)) === 'token' && v.feed.status().syncs > syncsBefore, 2000, 5);
    expect(v.feed.status()).toMatchObject({ synced: true, syncs: syncsBefore + 1, fullReads: fullReadsBefore + 1 });
    expect(v.mirror.revocationOf(claimsOf(held))).toBe('token');
    expect(v.mirror.stalenessMs()).toBeLessThan(500);
  });

  describe('when the marker moves under a full read (5000 events read one per XREAD)', () => {
    const fill = async (): Promise<void> => {
      await writer.flushall();
      const token = await store.beginSeed();
      await store.seedEntries(
        Array.from({ length: 5000 }, (_, i) => ({ kind: 'jti' as const, jti: `bulk-${i}`, expiresAtMs: Date.now() + 60_000 })),
      );
      await store.markSeeded(Date.now(), token);
    };
    function slowFeed(): { v: ReturnType<typeof verifierFeed>; passes: () => number } {
      const client = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      const mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
      let passes = 0;
      const feed = new RedisMirrorFeed(client, mirror, {
        heartbeatMs: 100,
        readCount: 1,
        name: `slow-${randomUUID().slice(0, 8)}`,
        observer: { synced: () => passes++ },
      });
      cleanups.push(async () => {
        await feed.stop();
        client.disconnect();
      });
      void feed.start();
      return { v: { client, mirror, feed, awaiting: [] }, passes: () => passes };
    }

    it('reads in full again when a new seed completed during the read', async () => {
      await fill();
      const { v, passes } = slowFeed();
      // Events arriving: the read located the marker and is reading (5000 XREADs take a while).
      await waitFor(() => v.mirror.size.jti > 0, 5000, 1);
      expect(passes()).toBe(0);
      await store.markSeeded(Date.now() + 1, await store.beginSeed());
      // The first read completes as of its LOCATE (the stream was whole then), then meets the new
      // seed's resync and reads everything again.
      await waitFor(() => v.feed.status().fullReads === 2 && passes() === 2, 30_000, 10);
      expect(v.feed.status()).toMatchObject({ synced: true, syncs: 2 });
      expect(v.mirror.size.jti).toBe(5000);
    });

    it('waits for the seed again when Redis lost its data during the read (FLUSHALL)', async () => {
      await fill();
      const { v, passes } = slowFeed();
      await waitFor(() => v.mirror.size.jti > 0, 5000, 1);
      expect(passes()).toBe(0);
      await writer.flushall();
      // The rest of the stream is gone: the read cannot reach the end it located, so it looks again.
      await waitFor(() => v.feed.status().awaitingSeed === true, 20_000, 10);
      expect(v.feed.status()).toMatchObject({ synced: false, syncs: 0 });
      expect(v.mirror.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
      // What it read is kept (merged); only calling it complete waits for the seed.
      expect(v.mirror.size.jti).toBeGreaterThan(0);
      expect(v.mirror.size.jti).toBeLessThan(5000);
      await store.markSeeded(Date.now(), await store.beginSeed());
      await waitFor(() => v.feed.status().synced, 20_000, 10);
    });
  });

  it('answers a burst of re-seeds with a few full reads, not one per seed', async () => {
    await store.markSeeded(Date.now(), await store.beginSeed());
    const v = started();
    await waitFor(() => v.feed.status().synced, 3000, 10);
    const before = v.feed.status().syncs;
    // Back to back: each seed claims the marker, so concurrent seeds would refuse each other.
    for (let i = 0; i < 20; i++) await store.markSeeded(Date.now() + i, await store.beginSeed());
    await waitFor(() => v.feed.status().syncs > before, 2000, 5);
    await new Promise((r) => setTimeout(r, 300));
    // Events are read in batches: one full read per batch that held a newer resync (how many batches
    // the 20 seeds fall into depends on scheduling), never one per seed.
    expect(v.feed.status().syncs - before).toBeLessThanOrEqual(10);
  });

  it('after a restart of the server empty: not fresh until the marker is back, and nothing it held is dropped', async () => {
    await store.markSeeded(Date.now(), await store.beginSeed());
    const proxy = await TcpProxy.start(server.port);
    cleanups.push(() => proxy.close());
    const v = started(proxy.url);
    await waitFor(() => v.feed.status().synced, 3000, 10);
    const held = randomUUID();
    await store.revokeToken(held, inAMinute());
    await waitFor(() => v.mirror.revocationOf(claimsOf(held)) === 'token', 1000, 5);

    await proxy.block();
    await server.stop();
    await server.start(); // empty: nothing is persisted, and no marker
    await waitFor(() => writer.status === 'ready', 5000, 20);
    const during = randomUUID();
    await store.revokeToken(during, inAMinute()); // written into the empty Redis while the feed cannot read
    const lostAt = Date.now();
    await proxy.unblock();

    await waitFor(() => v.feed.status().connected && v.feed.status().awaitingSeed === true, 5000, 10);
    await new Promise((r) => setTimeout(r, 500));
    expect(v.feed.status()).toMatchObject({ connected: true, synced: false, awaitingSeed: true });
    // Not fresh: its freshness is still the last heartbeat before the restart.
    expect(v.mirror.lastFreshAtMs).toBeLessThan(lostAt);
    expect(v.mirror.revocationOf(claimsOf(held))).toBe('token');

    await store.markSeeded(Date.now(), await store.beginSeed());
    await waitFor(() => v.feed.status().synced, 2000, 5);
    expect(v.mirror.stalenessMs()).toBeLessThan(500);
    expect(v.mirror.revocationOf(claimsOf(during))).toBe('token');
    // Gone from Redis with the restart; the mirror merges, so it still knows it.
    expect(v.mirror.revocationOf(claimsOf(held))).toBe('token');
  });
});
