import type { RedisConnection } from '@authmesh/platform';
import type { RevocationStore } from '../revocation-store.js';
import type { RevocationStoreOptions } from './entry-ttl.js';
import { MemoryRevocationStore, sharedMemoryRevocationBackend } from './memory-revocation-store.js';
import { RedisRevocationStore } from './redis-revocation-store.js';

/**
 * The store for an app's Redis connection: the Redis store on a real connection, or, with
 * `REDIS_URL=memory://`, the process-wide in-memory store (the same instance for the same options,
 * and every memory store of the process shares one backend: every service of `npm start` reads and
 * writes the same data and hears the same events). Writes fail with
 * `RevocationStoreUnavailableError` when Redis is unreachable (the memory store never fails).
 *
 * @example
 * // auth
 * { provide: REVOCATION_STORE, inject: [RedisConnection],
 *   useFactory: (redis: RedisConnection) => createRevocationStore(redis, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 }) }
 */
export function createRevocationStore(redis: RedisConnection, options: RevocationStoreOptions): RevocationStore {
  if (redis.mode === 'memory' || redis.client === undefined) return sharedMemoryStore(options);
  return new RedisRevocationStore(redis.client, options);
}

const STORES = Symbol.for('authmesh.revocation.memoryStores');

/** One store per set of options over the one backend (in practice: one store, auth's). */
function sharedMemoryStore(options: RevocationStoreOptions): RevocationStore {
  const backend = sharedMemoryRevocationBackend();
  if (options.now !== undefined) return new MemoryRevocationStore(backend, options);
  const holder = globalThis as { [STORES]?: Map<string, MemoryRevocationStore> };
  const stores = (holder[STORES] ??= new Map());
  const key = `${options.clockToleranceSeconds}|${options.maxTokenLifetimeSeconds}|${options.keyPrefix ?? ''}`;
  let store = stores.get(key);
  if (store === undefined) {
    store = new MemoryRevocationStore(backend, options);
    stores.set(key, store);
  }
  return store;
}
