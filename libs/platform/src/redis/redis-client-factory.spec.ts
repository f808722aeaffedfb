import { Cluster, Redis } from 'ioredis';
import { createRedisClient, duplicateRedisClient, redisConnectionName } from './redis-client-factory.js';
import { parseRedisUrl } from './redis-url.js';
import type { RedisServerConfig } from './redis-client-factory.js';

// Clients are built lazily and never connected: what is checked is the options each topology gets.
const configOf = (url: string): RedisServerConfig => {
  const parsed = parseRedisUrl(url);
  if (!parsed.ok || parsed.config.kind === 'memory') throw new Error(url);
  return parsed.config;
};

describe('createRedisClient', () => {
  it('builds one fail-fast client per topology', () => {
    const single = createRedisClient(configOf('redis://127.0.0.1:1/2'), { connectionName: 'authmesh-x' });
    expect(single).toBeInstanceOf(Redis);
    expect((single as Redis).options).toMatchObject({
      port: 1,
      db: 2,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });

    const sentinel = createRedisClient(configOf('redis+sentinel://:pw@127.0.0.1:1,127.0.0.1:2/m/3?sentinelPassword=sp'), {
      connectionName: 'authmesh-x',
    }) as Redis;
    expect(sentinel).toBeInstanceOf(Redis);
    expect(sentinel.options).toMatchObject({
      sentinels: [
        { host: '127.0.0.1', port: 1 },
        { host: '127.0.0.1', port: 2 },
      ],
      name: 'm',
      db: 3,
      password: 'pw',
      sentinelPassword: 'sp',
      enableOfflineQueue: false,
    });
    // See the factory: ioredis 6.0.0's failover detector can end the client for good.
    expect(sentinel.options.failoverDetector).toBeFalsy();
    expect(sentinel.options.reconnectOnError?.(new Error("READONLY You can't write against a read only replica."))).toBe(1);
    expect(sentinel.options.reconnectOnError?.(new Error('ERR other'))).toBe(false);

    const cluster = createRedisClient(configOf('redis+cluster://u:p@127.0.0.1:1,127.0.0.1:2'), { connectionName: 'authmesh-x' });
    expect(cluster).toBeInstanceOf(Cluster);
    expect((cluster as Cluster).options).toMatchObject({ enableOfflineQueue: false, lazyConnect: true });
    expect((cluster as Cluster).options.redisOptions).toMatchObject({ username: 'u', password: 'p', connectionName: 'authmesh-x' });
    for (const c of [single, sentinel, cluster]) c.disconnect();
  });

  it('duplicates keep the topology and take a name of their own', () => {
    for (const url of ['redis://127.0.0.1:1', 'redis+sentinel://127.0.0.1:1/m', 'redis+cluster://127.0.0.1:1']) {
      const client = createRedisClient(configOf(url), { connectionName: 'authmesh-x' });
      const copy = duplicateRedisClient(client, 'authmesh-x-sub', { autoResubscribe: false });
      expect(copy.constructor).toBe(client.constructor);
      expect(redisConnectionName(copy)).toBe('authmesh-x-sub');
      expect(copy.status).toBe('wait');
      client.disconnect();
      copy.disconnect();
    }
  });
});
