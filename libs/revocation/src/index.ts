// The blocklist: the store interface, the Redis and in-memory stores, and the factory auth uses.
export * from './revocation-store.js';
export * from './errors.js';
export * from './core/keyspace.js';
export * from './core/entry-ttl.js';
export * from './core/redis-revocation-store.js';
export * from './core/memory-revocation-store.js';
export * from './core/create-revocation-store.js';
// The verifier side: the local mirror, what feeds it, the checker and its outage policy.
export * from './core/revocation-mirror.js';
export * from './core/revocation-feed.js';
export * from './core/redis-mirror-feed.js';
export * from './core/memory-mirror-feed.js';
export * from './core/mirror-revocation-checker.js';
// Configuration read from the environment through platform's EnvReader.
export * from './config/revocation-config.js';
// Nest adapter.
export * from './nest/revocation-metrics.js';
export * from './nest/revocation.module.js';
