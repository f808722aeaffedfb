import { randomUUID } from 'node:crypto';
import {
  MemoryRevocationBackend,
  MemoryRevocationStore,
  RedisRevocationStore,
  RevocationStoreUnavailableError,
  SEED_CLAIM_TTL_MS,
  createRevocationStore,
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
  const subscriber = client.duplicate();
  const published: ReturnType<typeof JSON.parse>[] = [];
  subscriber.on('message', (_channel: string, message: string) => published.push(JSON.parse(message)));
  await subscriber.subscribe(store.keyspace.channel);
  return {
    store,
    keyspace: store.keyspace,
    published,
    pttl: (key) => client.pttl(key),
    rawValue: async (key) => (await client.get(key)) ?? undefined,
    flushAll: async () => {
      await client.flushall();
    },
    keys: async () => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', store.keyspace.scanPattern, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    },
    close: async () => {
      subscriber.disconnect();
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
    pttl: async (key) => backend.pttl(key, Date.now()),
    rawValue: async (key) => {
      const v = backend.get(key, Date.now());
      return v === undefined ? undefined : String(v);
    },
    keys: async () => [...backend.scan(Date.now())].map(([key]) => key).filter((key) => key.startsWith(store.keyspace.prefix)),
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

describe('createRevocationStore', () => {
  const options = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 };
  beforeAll(() => Logger.overrideLogger(false)); // the memory-mode warning is expected here

  it('in memory mode, gives every app of the process the same data and channel (npm start)', async () => {
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
