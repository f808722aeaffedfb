import { randomBytes, randomUUID } from 'node:crypto';
import { RedisMirrorFeed, RedisRevocationStore, RevocationKeyspace, RevocationMirror, type RevocationEvent } from '@authmesh/revocation';
import { OwnedRedis, TcpProxy, testRedisUrl, waitFor } from '@authmesh/testing';
import { Redis } from 'ioredis';

const claimsOf = (jti: string, sub = 'nobody', iat = Math.floor(Date.now() / 1000) - 5) => ({ jti, sub, iat });
const inAMinute = () => new Date(Date.now() + 60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls per command from INFO commandstats (`cmdstat_xread:calls=3,...` → { xread: 3 }). */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const m of String(await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]!] = Number(m[2]);
  return calls;
}

/** The id of the feed's connection, from CLIENT LIST by its name. */
async function feedConnectionId(client: Redis, name: string): Promise<string> {
  const id = new RegExp(`id=(\\d+) [^\\n]*name=authmesh-${name}-revocation-stream `).exec(String(await client.client('LIST')))?.[1];
  if (id === undefined) throw new Error(`no connection named authmesh-${name}-revocation-stream`);
  return id;
}

describe('RedisMirrorFeed (real Redis)', () => {
  const keyPrefix = `test:${randomBytes(4).toString('hex')}:`;
  const keyspace = new RevocationKeyspace(keyPrefix);
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300, keyPrefix };
  const name = `feedtest-${keyPrefix.slice(5, 13)}`;
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

  it('loads what the event stream holds on start: ordinary writes and seeded entries alike', async () => {
    const early = randomUUID();
    await store.revokeToken(early, inAMinute());
    const seeded = randomUUID();
    // Auth's seed (no auth here): without the marker the feed would wait for it.
    const token = await store.beginSeed();
    await store.seedEntries([
      { kind: 'jti', jti: seeded, expiresAtMs: Date.now() + 60_000 },
      { kind: 'sub', sub: 'seeded-user', revokedAtMs: Date.now() },
    ]);
    await store.markSeeded(Date.now(), token);

    mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    feed = new RedisMirrorFeed(client, mirror, { keyPrefix, heartbeatMs: 200, name });
    await feed.start();
    expect(mirror.revocationOf(claimsOf(early))).toBe('token');
    expect(mirror.revocationOf(claimsOf(seeded))).toBe('token');
    expect(mirror.revocationOf(claimsOf('x', 'seeded-user'))).toBe('subject');
    expect(feed.status()).toMatchObject({ source: 'redis', connected: true, synced: true, syncs: 1, fullReads: 1, regressions: 0 });
    expect(mirror.stalenessMs()).toBeLessThan(1000);
  });

  it('sees a revocation written after start within 100 ms', async () => {
    const jti = randomUUID();
    const started = performance.now();
    await store.revokeToken(jti, inAMinute());
    await waitFor(() => mirror.revocationOf(claimsOf(jti)) === 'token', 1000, 1);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('ignores a malformed event in the stream and keeps working', async () => {
    await client.xadd(keyspace.streamKey, '*', 'e', '{"kind":"jti","jti":42}');
    await client.xadd(keyspace.streamKey, '*', 'e', 'not json');
    await client.xadd(keyspace.streamKey, '*', 'other', 'field');
    const jti = randomUUID();
    await store.revokeToken(jti, inAMinute());
    await waitFor(() => mirror.revocationOf(claimsOf(jti)) === 'token', 1000, 5);
  });

  it('proves itself fresh with every XREAD that comes back: staleness stays near the block time', async () => {
    await sleep(700);
    expect(mirror.stalenessMs()).toBeLessThan(600);
  });

  it('after its connection is killed, resumes from its position: no second full read', async () => {
    await client.client('KILL', 'ID', await feedConnectionId(client, name));
    await waitFor(() => feed.status().syncs === 2, 5000, 20);
    expect(feed.status()).toMatchObject({ connected: true, synced: true, fullReads: 1, regressions: 0 });
  });
});

describe('RedisMirrorFeed: a reconnect costs what it missed (owned redis-server behind a proxy)', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
  let server: OwnedRedis;
  let proxy: TcpProxy;
  let writer: Redis;
  let store: RedisRevocationStore;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    server = await OwnedRedis.start();
    proxy = await TcpProxy.start(server.port);
    writer = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    writer.on('error', () => undefined);
    await writer.connect();
    store = new RedisRevocationStore(writer, options);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    writer?.disconnect();
    await proxy?.close();
    await server?.stop();
  });

  /** A verifier's feed, its connection configured as platform's RedisConnection configures it. */
  function verifier(url: string, heartbeatMs = 100, extra: { readCount?: number; eventReceived?: () => void } = {}) {
    const client = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    const mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    const caughtUp: { mode: 'resume' | 'full'; entries: number }[] = [];
    const name = `cost-${randomUUID().slice(0, 8)}`;
    const feed = new RedisMirrorFeed(client, mirror, {
      heartbeatMs,
      commandTimeoutMs: 300,
      name,
      ...(extra.readCount === undefined ? {} : { readCount: extra.readCount }),
      observer: { caughtUp: (mode, entries) => caughtUp.push({ mode, entries }), eventReceived: extra.eventReceived },
    });
    cleanups.push(async () => {
      await feed.stop();
      client.disconnect();
    });
    return { client, mirror, feed, caughtUp, name };
  }

  async function seedFresh(events: RevocationEvent[] = []): Promise<void> {
    await writer.flushall();
    const token = await store.beginSeed();
    await store.seedEntries(events);
    await store.markSeeded(Date.now(), token);
  }

  it('a reconnect with 10,000 live entries that missed nothing costs at most 5 commands (INFO commandstats)', async () => {
    await seedFresh(
      Array.from({ length: 10_000 }, (_, i) => ({ kind: 'jti' as const, jti: `bulk-${i}`, expiresAtMs: Date.now() + 120_000 })),
    );
    // A long block time: the steady-state XREAD does not come back during the measurement.
    const v = verifier(server.url, 10_000);
    await v.feed.start();
    expect(v.mirror.size.jti).toBe(10_000);
    await sleep(100); // the steady-state XREAD is sent and blocked

    await writer.config('RESETSTAT');
    await writer.client('KILL', 'ID', await feedConnectionId(writer, v.name));
    await waitFor(() => v.feed.status().syncs === 2, 5000, 10);
    await sleep(200); // the next XREAD is sent too
    const calls = await commandCalls(writer);
    // Ours: the RESETSTAT, the CLIENT LIST that finds the feed's connection, and the KILL.
    for (const own of ['config|resetstat', 'client|list', 'client|kill']) delete calls[own];
    // What the feed sent: the connection's handshake (HELLO, CLIENT SETNAME), its ROLE check (a
    // master, not a replica a stale Sentinel named), its LOCATE (EVALSHA) and the next XREAD;
    // commandstats also counts the GET and XREVRANGE the script runs inside.
    const inScript = (calls.get ?? 0) + (calls.xrevrange ?? 0);
    const executed = Object.values(calls).reduce((a, b) => a + b, 0);
    expect({ sent: executed - inScript, executed, calls }).toEqual({
      sent: Math.min(executed - inScript, 5),
      executed: Math.min(executed, 7),
      calls,
    });
    expect(calls.scan ?? 0).toBe(0);
    expect(v.caughtUp).toEqual([
      { mode: 'full', entries: 10_001 }, // every seeded entry and the seed's resync
      { mode: 'resume', entries: 0 },
    ]);
    expect(v.feed.status()).toMatchObject({ synced: true, fullReads: 1, regressions: 0 });
  });

  it('a full read whose stream is flushed and recreated by a re-seed under a blocked XREAD is not synced until the seed completes', async () => {
    const originals = Array.from({ length: 30 }, (_, i) => ({
      kind: 'jti' as const,
      jti: `orig-${i}-${randomUUID()}`,
      expiresAtMs: Date.now() + 60_000,
    }));
    await seedFresh(originals);
    let received = 0;
    let flushed: Promise<unknown> | undefined;
    // Ten events per XREAD; a block time far past the test, so the read that meets the missing key
    // stays blocked until the re-seed's first XADD wakes it (with ids past the located end).
    const v = verifier(server.url, 10_000, {
      readCount: 10,
      eventReceived: () => {
        if (++received === 10) flushed = writer.flushall();
      },
    });
    void v.feed.start();
    await waitFor(() => flushed !== undefined, 5000, 1);
    await flushed;
    await sleep(100); // the next XREAD is sent and blocks on the missing stream
    const token = await store.beginSeed();
    const fresh = Array.from({ length: 3 }, () => ({ kind: 'jti' as const, jti: randomUUID(), expiresAtMs: Date.now() + 60_000 }));
    await store.seedEntries(fresh);
    // Woken by the seed's XADDs; without the check it called the mirror complete here.
    await waitFor(() => v.feed.status().awaitingSeed === true || v.feed.status().synced, 3000, 5);
    await sleep(300);
    // The events between its first batch and the located end are gone: not complete, not fresh.
    expect(v.feed.status()).toMatchObject({ connected: true, synced: false, syncs: 0, awaitingSeed: true });
    expect(v.mirror.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    expect(originals.some((e) => v.mirror.revocationOf(claimsOf(e.jti)) === undefined)).toBe(true);

    // The rest of auth's seed rewrites the ledger, then its marker: now it is complete.
    await store.seedEntries(originals);
    await store.markSeeded(Date.now(), token);
    await waitFor(() => v.feed.status().synced, 3000, 5);
    for (const e of [...originals, ...fresh]) expect(v.mirror.revocationOf(claimsOf(e.jti))).toBe('token');
    expect(v.mirror.stalenessMs()).toBeLessThan(500);
  });

  it('a catch-up whose stream is flushed and recreated by a re-seed under a blocked XREAD is not synced until the seed completes', async () => {
    await seedFresh();
    let armed = false;
    let received = 0;
    let flushed: Promise<unknown> | undefined;
    const v = verifier(proxy.url, 10_000, {
      readCount: 10,
      eventReceived: () => {
        if (armed && ++received === 10) flushed = writer.flushall();
      },
    });
    await v.feed.start();
    await proxy.block();
    await waitFor(() => !v.feed.status().connected, 3000, 10);
    // Missed while away: the reconnect resumes from its position, short of the located end.
    const missed = Array.from({ length: 30 }, () => randomUUID());
    for (const jti of missed) await store.revokeToken(jti, inAMinute());
    armed = true;
    await proxy.unblock();
    await waitFor(() => flushed !== undefined, 5000, 1);
    await flushed;
    await sleep(100); // the next XREAD is sent and blocks on the missing stream
    const token = await store.beginSeed();
    await store.seedEntries([{ kind: 'jti', jti: randomUUID(), expiresAtMs: Date.now() + 60_000 }]);
    await waitFor(() => v.feed.status().awaitingSeed === true || v.feed.status().synced, 3000, 5);
    await sleep(300);
    expect(v.feed.status()).toMatchObject({ connected: true, synced: false, syncs: 1, awaitingSeed: true });
    expect(missed.some((jti) => v.mirror.revocationOf(claimsOf(jti)) === undefined)).toBe(true);

    await store.seedEntries(missed.map((jti) => ({ kind: 'jti' as const, jti, expiresAtMs: Date.now() + 60_000 })));
    await store.markSeeded(Date.now(), token);
    await waitFor(() => v.feed.status().synced, 3000, 5);
    for (const jti of missed) expect(v.mirror.revocationOf(claimsOf(jti))).toBe('token');
  });

  it('catches up from its last id: reads exactly the events written while it was away', async () => {
    await seedFresh([{ kind: 'jti', jti: randomUUID(), expiresAtMs: Date.now() + 60_000 }]);
    const v = verifier(proxy.url);
    await v.feed.start();
    await proxy.block();
    await waitFor(() => !v.feed.status().connected, 3000, 10);
    const missed = [randomUUID(), randomUUID(), randomUUID()];
    for (const jti of missed) await store.revokeToken(jti, inAMinute());
    await store.revokeSubject('user-away', new Date());
    await proxy.unblock();
    await waitFor(() => v.feed.status().synced, 5000, 10);
    for (const jti of missed) expect(v.mirror.revocationOf(claimsOf(jti))).toBe('token');
    expect(v.mirror.revocationOf(claimsOf('x', 'user-away'))).toBe('subject');
    expect(v.caughtUp.at(-1)).toEqual({ mode: 'resume', entries: 4 });
    expect(v.feed.status()).toMatchObject({ fullReads: 1, regressions: 0 });
  });

  it('reads the whole stream again when the generation changed while it was away (auth re-seeded)', async () => {
    const before = randomUUID();
    await seedFresh([{ kind: 'jti', jti: before, expiresAtMs: Date.now() + 60_000 }]);
    const v = verifier(proxy.url);
    await v.feed.start();
    await proxy.block();
    await waitFor(() => !v.feed.status().connected, 3000, 10);
    const reseeded = randomUUID();
    const token = await store.beginSeed();
    await store.seedEntries([{ kind: 'jti', jti: reseeded, expiresAtMs: Date.now() + 60_000 }]);
    await store.markSeeded(Date.now() + 1, token);
    await proxy.unblock();
    await waitFor(() => v.feed.status().synced, 5000, 10);
    expect(v.mirror.revocationOf(claimsOf(reseeded))).toBe('token');
    // The whole stream: the first seed's entry and resync, the new seed's entry and resync.
    expect(v.caughtUp.at(-1)).toEqual({ mode: 'full', entries: 4 });
    expect(v.feed.status()).toMatchObject({ fullReads: 2, regressions: 0 });
  });

  it('while the marker is absent (a seed under way) is not synced, and is within half a second of the seed', async () => {
    await writer.flushall();
    const early = randomUUID();
    await store.revokeToken(early, inAMinute());
    const v = verifier(server.url);
    void v.feed.start();
    await waitFor(() => v.feed.status().awaitingSeed === true, 3000, 10);
    await sleep(700); // several polls
    expect(v.feed.status()).toMatchObject({ connected: true, synced: false, syncs: 0, awaitingSeed: true });
    expect(v.mirror.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    const seededAt = performance.now();
    await store.markSeeded(Date.now(), await store.beginSeed());
    await waitFor(() => v.feed.status().synced, 2000, 5);
    expect(performance.now() - seededAt).toBeLessThan(700);
    expect(v.mirror.revocationOf(claimsOf(early))).toBe('token');
  });

  it('goes stale while Redis is down, keeps what it knew, and after an empty restart and a seed honours what was written meanwhile', async () => {
    await seedFresh();
    const v = verifier(proxy.url);
    await v.feed.start();
    const before = randomUUID();
    await store.revokeToken(before, inAMinute());
    await waitFor(() => v.mirror.revocationOf(claimsOf(before)) === 'token', 1000, 5);

    await proxy.block();
    await server.stop();
    await waitFor(() => v.mirror.stalenessMs() > 500, 3000, 20);
    expect(v.feed.status()).toMatchObject({ connected: false, synced: false });
    expect(v.mirror.revocationOf(claimsOf(before))).toBe('token');

    await server.start(); // empty: nothing is persisted
    await waitFor(() => writer.status === 'ready', 5000, 20);
    const during = randomUUID();
    await store.revokeToken(during, inAMinute());
    await proxy.unblock();
    await waitFor(() => v.feed.status().awaitingSeed === true, 5000, 10);
    // What auth's re-seed ends with.
    await store.markSeeded(Date.now(), await store.beginSeed());
    await waitFor(() => v.feed.status().synced, 5000, 20);
    expect(v.mirror.revocationOf(claimsOf(during))).toBe('token');
    // The restart lost `before` in Redis; the mirror merges rather than replaces, so it still knows it.
    expect(v.mirror.revocationOf(claimsOf(before))).toBe('token');
    expect(v.mirror.stalenessMs()).toBeLessThan(500);
  });
});

describe('RedisMirrorFeed: Redis going back in time (a restart from an older snapshot)', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
  let server: OwnedRedis;
  let proxy: TcpProxy;
  let writer: Redis;
  let feedClient: Redis | undefined;
  let feed: RedisMirrorFeed | undefined;
  let theMirror: RevocationMirror | undefined;
  const mirror = (): RevocationMirror => theMirror!;

  beforeAll(async () => {
    server = await OwnedRedis.start({ snapshots: true });
    proxy = await TcpProxy.start(server.port);
    writer = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    writer.on('error', () => undefined);
    await writer.connect();
  });
  afterAll(async () => {
    server?.freeze(false);
    await feed?.stop();
    feedClient?.disconnect();
    writer?.disconnect();
    await proxy?.close();
    await server?.destroy();
  });

  it('notices the stream behind its position, reads it in full and keeps what Redis lost', async () => {
    const store = new RedisRevocationStore(writer, options);
    await store.markSeeded(Date.now(), await store.beginSeed());
    const kept = randomUUID();
    await store.revokeToken(kept, inAMinute());
    await writer.save();
    feedClient = new Redis(proxy.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    feedClient.on('error', () => undefined);
    const mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    theMirror = mirror;
    feed = new RedisMirrorFeed(feedClient, mirror, { heartbeatMs: 100, commandTimeoutMs: 300 });
    await feed.start();
    const lost = randomUUID();
    await store.revokeToken(lost, inAMinute());
    await waitFor(() => mirror.revocationOf(claimsOf(lost)) === 'token', 1000, 5);

    await proxy.block();
    await server.stop();
    await server.start(); // from the snapshot: the marker and `kept`, not `lost`
    await waitFor(() => writer.status === 'ready', 5000, 20);
    expect(await store.isTokenRevoked(lost)).toBe(false);
    await proxy.unblock();

    await waitFor(() => feed!.status().regressions === 1 && feed!.status().synced, 5000, 10);
    expect(feed.status()).toMatchObject({ fullReads: 2 });
    expect(mirror.revocationOf(claimsOf(kept))).toBe('token');
    // Redis forgot it; the mirror merges, so it still refuses it (auth re-seeds Redis: its own test).
    expect(mirror.revocationOf(claimsOf(lost))).toBe('token');
  });

  it('on a connection that goes silent (Redis frozen, sockets open): grows stale from the first missed heartbeat, reconnects, and is fresh again once Redis answers', async () => {
    // The feed of the test above: synced, heartbeat 100 ms, command timeout 300 ms, 3 missed heartbeats.
    expect(feed!.status().synced).toBe(true);
    server.freeze(true);
    try {
      await waitFor(() => mirror().stalenessMs() > 400, 3000, 10);
      await waitFor(() => /unanswered/.test(feed!.status().lastError ?? ''), 3000, 10);
      // Three missed heartbeats: the connection is re-made (and cannot complete while Redis is frozen).
      await waitFor(() => !feed!.status().synced, 3000, 10);
    } finally {
      server.freeze(false);
    }
    await waitFor(() => feed!.status().synced && mirror().stalenessMs() < 300, 10_000, 10);
  });
});

describe('RedisMirrorFeed on a replica (two owned redis-servers, the second REPLICAOF the first)', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
  let master: OwnedRedis;
  let replica: OwnedRedis;
  let writer: Redis;
  let replicaAdmin: Redis;
  let feedClient: Redis | undefined;
  let feed: RedisMirrorFeed | undefined;

  beforeAll(async () => {
    master = await OwnedRedis.start();
    replica = await OwnedRedis.start();
    writer = new Redis(master.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    replicaAdmin = new Redis(replica.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    for (const c of [writer, replicaAdmin]) c.on('error', () => undefined);
    await writer.connect();
    await replicaAdmin.connect();
    // The full sync over the socket, loaded from it: no RDB left in the working tree (`dir` cannot be
    // set at run time in Redis 7).
    await writer.config('SET', 'repl-diskless-sync', 'yes');
    await writer.config('SET', 'repl-diskless-sync-delay', '0'); // not the default 5 s wait for more replicas
    await replicaAdmin.config('SET', 'repl-diskless-load', 'swapdb');
    await replicaAdmin.replicaof('127.0.0.1', master.port);
  });
  afterAll(async () => {
    await feed?.stop();
    feedClient?.disconnect();
    writer?.disconnect();
    replicaAdmin?.disconnect();
    await replica?.stop();
    await master?.stop();
  });

  it('never reports synced on a replica that holds the marker and the stream (logs why), and syncs once it is a master', async () => {
    const store = new RedisRevocationStore(writer, options);
    await store.markSeeded(Date.now(), await store.beginSeed());
    const jti = randomUUID();
    await store.revokeToken(jti, inAMinute());
    // The replica holds all of it: a feed reading there would find the marker and the event.
    const keyspace = new RevocationKeyspace();
    await waitFor(
      async () => (await replicaAdmin.xlen(keyspace.streamKey)) === 2 && (await replicaAdmin.exists(keyspace.generationKey)) === 1,
      5000,
      20,
    );

    const warnings: string[] = [];
    feedClient = new Redis(replica.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    feedClient.on('error', () => undefined);
    const mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    feed = new RedisMirrorFeed(feedClient, mirror, {
      heartbeatMs: 100,
      commandTimeoutMs: 300,
      logger: { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
    });
    void feed.start();
    await sleep(1500); // several connects and refusals
    expect(feed.status()).toMatchObject({ synced: false, syncs: 0, fullReads: 0 });
    expect(feed.status().lastError).toMatch(/ROLE slave, not master/);
    expect(warnings.some((w) => /ROLE slave, not master/.test(w))).toBe(true);
    expect(mirror.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    expect(mirror.revocationOf(claimsOf(jti))).toBeUndefined();

    // Promoted (what a failover does to it): the next connect reads it.
    await replicaAdmin.replicaof('NO', 'ONE');
    await waitFor(() => feed!.status().synced, 5000, 10);
    expect(mirror.revocationOf(claimsOf(jti))).toBe('token');
  });
});
