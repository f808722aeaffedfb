import { randomUUID } from 'node:crypto';
import {
  MemoryRevocationBackend,
  MemoryRevocationStore,
  RedisRevocationStore,
  type RevocationEvent,
  RevocationStoreUnavailableError,
  SEED_CLAIM_TTL_MS,
  createRevocationStore,
  parseRevocationEvent,
  sharedMemoryRevocationBackend,
} from '@authmesh/revocation';
import { RedisConnection } from '@authmesh/platform';
import { OwnedRedis, freePort, testRedisUrl } from '@authmesh/testing';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { describeRevocationStoreContract } from './support/store-contract.js';

describeRevocationStoreContract('Redis (single node)', async (options) => {
  // A server of its own: the contract flushes it (FLUSHALL mid-seed), which a shared Redis must not see.
  const server = await OwnedRedis.start();
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const store = new RedisRevocationStore(client, options);
  // What a verifier's feed reads: the event stream, followed from its start on a connection of its own.
  const reader = client.duplicate();
  const published: RevocationEvent[] = [];
  let reading = true;
  const follow = async (): Promise<void> => {
    let from = '0-0';
    while (reading) {
      const reply = await reader.xread('BLOCK', 100, 'STREAMS', store.keyspace.streamKey, from).catch(() => null);
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        from = id;
        const event = parseRevocationEvent(fields[1]);
        if (event) published.push(event);
      }
    }
  };
  const following = follow();
  return {
    store,
    keyspace: store.keyspace,
    published,
    seedsAreEvents: true,
    pttl: (key) => client.pttl(key),
    rawValue: async (key) => (await client.get(key)) ?? undefined,
    flushAll: async () => {
      await client.flushall();
    },
    keys: async () => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', `${store.keyspace.tag}revoked:*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    },
    close: async () => {
      reading = false;
      await following;
      reader.disconnect();
      client.disconnect();
      await server.stop();
    },
  };
});

describeRevocationStoreContract('memory', async (options) => {
  const backend = new MemoryRevocationBackend();
  const store = new MemoryRevocationStore(backend, options);
  const published: ReturnType<typeof JSON.parse>[] = [];
  const unsubscribe = backend.subscribe((event) => published.push(event));
  return {
    store,
    keyspace: store.keyspace,
    published,
    seedsAreEvents: false,
    pttl: async (key) => backend.pttl(key, Date.now()),
    rawValue: async (key) => {
      const v = backend.get(key, Date.now());
      return v === undefined ? undefined : String(v);
    },
    keys: async () => [...backend.scan(Date.now())].map(([key]) => key).filter((key) => key.startsWith(store.keyspace.tag)),
    flushAll: async () => backend.flush(),
    close: async () => {
      unsubscribe();
    },
  };
});

describe('Redis store: failures and servers', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };

  it('fails with RevocationStoreUnavailableError (503, so auth can fall back to its outbox) when Redis is unreachable', async () => {
    const client = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      const store = new RedisRevocationStore(client, options);
      const error = await store.revokeToken(randomUUID(), new Date(Date.now() + 60_000)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RevocationStoreUnavailableError);
      expect(error).toMatchObject({ code: 'revocation_store_unavailable', status: 503 });
      await expect(store.revokeSubject('u', new Date())).rejects.toBeInstanceOf(RevocationStoreUnavailableError);
      await expect(store.isTokenRevoked('x')).rejects.toBeInstanceOf(RevocationStoreUnavailableError);
    } finally {
      client.disconnect();
    }
  });

  it("claims the marker's key for a seed as seeding:<token> with a TTL of about ten minutes, so a crashed seeder's claim lapses", async () => {
    const client = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const store = new RedisRevocationStore(client, { ...options, keyPrefix: `test:${randomUUID()}:` });
      const token = await store.beginSeed();
      expect(await client.get(store.keyspace.generationKey)).toBe(`seeding:${token}`);
      const ttl = await client.pttl(store.keyspace.generationKey);
      expect(ttl).toBeGreaterThan(SEED_CLAIM_TTL_MS - 5_000);
      expect(ttl).toBeLessThanOrEqual(SEED_CLAIM_TTL_MS);
      expect(await store.seededGeneration()).toBeUndefined();
      await client.del(store.keyspace.generationKey);
    } finally {
      client.disconnect();
    }
  });

  it('loads its scripts on a server that has never seen them (NOSCRIPT), and again after that server restarts empty', async () => {
    const server = await OwnedRedis.start();
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const store = new RedisRevocationStore(client, options);
      const jti = randomUUID();
      await store.revokeToken(jti, new Date(Date.now() + 60_000));
      await store.revokeSubject('u-1', new Date());
      expect(await store.isTokenRevoked(jti)).toBe(true);

      await server.stop();
      await server.start();
      await new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));
      const after = randomUUID();
      await store.revokeToken(after, new Date(Date.now() + 60_000));
      expect(await store.isTokenRevoked(after)).toBe(true);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});

describe('Redis store: the event stream', () => {
  let server: OwnedRedis;
  let client: Redis;

  beforeAll(async () => {
    server = await OwnedRedis.start();
    client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('returns the stream id of each write, and verifyDelivered finds them, and reports an id the stream lost', async () => {
    const store = new RedisRevocationStore(client, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300, keyPrefix: 'ids:' });
    const jti = randomUUID();
    const ids = [
      await store.revokeToken(jti, new Date(Date.now() + 60_000)),
      await store.revokeSubject('u-ids', new Date()),
      await store.announceClientChange('c-ids', new Date()),
    ];
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    const [[, fields]] = (await client.xrange(store.keyspace.streamKey, ids[0]!, ids[0]!)) as [string, string[]][];
    expect(parseRevocationEvent(fields![1])).toMatchObject({ kind: 'jti', jti });
    expect(await store.verifyDelivered(ids as string[])).toEqual({ missing: [], lastId: ids[2] });
    // Nothing written, no id: a token already past exp + tolerance.
    expect(await store.revokeToken(randomUUID(), new Date(Date.now() - 31_000))).toBeUndefined();
    // An id Redis never held (or lost): reported.
    expect(await store.verifyDelivered(['1-0', ids[1]!])).toEqual({ missing: ['1-0'], lastId: ids[2] });
  });

  it("trims the stream (XADD MINID ~, on Redis's clock) to the longest token lifetime plus tolerance and margin", async () => {
    // One entry per stream node, so the approximate trim (~) can drop single entries.
    await client.config('SET', 'stream-node-max-entries', '1');
    const store = new RedisRevocationStore(client, {
      clockToleranceSeconds: 0,
      maxTokenLifetimeSeconds: 1,
      streamMarginMs: 0,
      keyPrefix: 'trim:',
    });
    expect(store.streamWindowMs).toBe(1000);
    const old = await store.announceKeysetChange('https://old.example', new Date());
    await new Promise((r) => setTimeout(r, 1200));
    const recent = await store.revokeSubject('u-trim', new Date());
    const ids = ((await client.xrange(store.keyspace.streamKey, '-', '+')) as [string, string[]][]).map(([id]) => id);
    expect(ids).not.toContain(old);
    expect(ids).toContain(recent);
  });
});

describe('createRevocationStore', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
  beforeAll(() => Logger.overrideLogger(false)); // the memory-mode warning is expected here

  it('in memory mode, gives every app of the process the same data and feed (npm start)', async () => {
    const auth = createRevocationStore(new RedisConnection({ kind: 'memory' }, 'auth'), options);
    const other = createRevocationStore(new RedisConnection({ kind: 'memory' }, 'orders'), options);
    expect(auth).toBeInstanceOf(MemoryRevocationStore);
    expect(createRevocationStore(new RedisConnection({ kind: 'memory' }, 'auth'), { ...options })).toBe(auth);
    const seen: string[] = [];
    const unsubscribe = sharedMemoryRevocationBackend().subscribe((e) =>
      seen.push(e.kind === 'jti' ? e.jti : e.kind === 'sub' ? e.sub : e.kind),
    );
    try {
      const jti = randomUUID();
      await auth.revokeToken(jti, new Date(Date.now() + 60_000));
      expect(await other.isTokenRevoked(jti)).toBe(true);
      expect(seen).toEqual([jti]);
    } finally {
      unsubscribe();
    }
  });

  it('with a Redis connection, returns the Redis store on its client', async () => {
    const connection = new RedisConnection({ kind: 'redis', url: testRedisUrl() }, 'auth');
    try {
      await connection.connect();
      const store = createRevocationStore(connection, options);
      expect(store).toBeInstanceOf(RedisRevocationStore);
      const jti = randomUUID();
      await store.revokeToken(jti, new Date(Date.now() + 5_000));
      expect(await store.isTokenRevoked(jti)).toBe(true);
    } finally {
      await connection.close();
    }
  });
});
