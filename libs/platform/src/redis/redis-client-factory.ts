import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './redis-url.js';

/** An ioredis client of either topology: `Redis` (one server, or the master Sentinel names) or `Cluster`. */
export type RedisClient = Redis | Cluster;

/** The REDIS_URL forms that are a real Redis (not the in-process stand-in). */
export type RedisServerConfig = Exclude<RedisConfig, { kind: 'memory' }>;

export interface RedisClientOptions {
  /** CLIENT SETNAME on every connection, so CLIENT LIST tells the suite's connections apart. */
  readonly connectionName: string;
  /** Connect on the first command or `connect()` (default true). */
  readonly lazyConnect?: boolean;
  /** Short bounds for a one-off client (the test stand-in's marker write): give up at once. */
  readonly oneShot?: boolean;
}

/**
 * Fail fast while disconnected instead of queueing commands forever (callers map a failure to
 * 503): no offline queue, one retry per command, a bounded connect and a capped reconnect backoff.
 * The same for every topology, so an outage looks the same to every store.
 */
const RECONNECT_CAP_MS = 2000;
const reconnectDelay = (times: number): number => Math.min(times * 200, RECONNECT_CAP_MS);

/**
 * Builds the ioredis client for `config` — the one place that knows the topologies, so every
 * connection (the app's, a subscriber's, a test's) is built the same way.
 * - one server: `new Redis(url)`;
 * - Sentinel: `new Redis({ sentinels, name })`: every (re)connect asks the sentinels for the
 *   master; a `READONLY` answer (a demoted master still reachable) forces a reconnect;
 * - Cluster: `new Cluster(seeds)`: commands go to the slot's master (MOVED/ASK followed, slots
 *   refreshed after a failover).
 */
export function createRedisClient(config: RedisServerConfig, options: RedisClientOptions): RedisClient {
  const lazyConnect = options.lazyConnect ?? true;
  const perConnection = {
    connectionName: options.connectionName,
    connectTimeout: options.oneShot ? 1000 : 2000,
    maxRetriesPerRequest: options.oneShot ? 0 : 1,
  } satisfies RedisOptions;
  const retryStrategy = options.oneShot ? () => null : reconnectDelay;

  if (config.kind === 'redis') {
    return new Redis(config.url, { ...perConnection, lazyConnect, enableOfflineQueue: false, retryStrategy });
  }
  const credentials = { username: config.username, password: config.password };
  if (config.kind === 'sentinel') {
    return new Redis({
      ...perConnection,
      ...credentials,
      lazyConnect,
      enableOfflineQueue: false,
      retryStrategy,
      sentinels: config.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: config.masterName,
      db: config.db,
      sentinelUsername: config.sentinelUsername,
      sentinelPassword: config.sentinelPassword,
      sentinelRetryStrategy: retryStrategy,
      // No failoverDetector: in ioredis 6.0.0 its +switch-master handler disconnects the connector
      // while a reconnect is resolving the master through the sentinels; that connect then rejects
      // ("Connection is closed.") and the client ends for good (status `end`, no retry). Seen in 2
      // of 5 failovers of the lag experiment: orders stayed 503 for 30 s+. A killed or unreachable
      // master closes the socket anyway, and the reconnect asks the sentinels.
      // After a switchover the old master is a replica and refuses writes with READONLY until the
      // client asks the sentinels again: reconnect (1), do not resend (the caller's retry decides).
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 1 : false),
      ...(config.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    });
  }
  return new Cluster(
    config.seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      lazyConnect,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      // Bounded retries while a slot's master is being replaced (ioredis retries a command up to
      // maxRedirections times, every retryDelayOnFailover ms): ~1.6 s, then the caller sees the error.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      maxRedirections: 16,
      slotsRefreshTimeout: 1000,
      redisOptions: { ...perConnection, ...credentials, ...(config.tls ? { tls: {} } : {}) },
    },
  );
}

/** What a duplicate may set beyond its name: a subscriber's resubscribe policy, auto-pipelining. */
export interface DuplicateOptions {
  readonly autoResubscribe?: boolean;
  readonly autoResendUnfulfilledCommands?: boolean;
  readonly enableAutoPipelining?: boolean;
}

/**
 * Another connection like `client` (same topology, credentials and fail-fast bounds) named
 * `connectionName`, not yet connected: for a subscriber or a blocking read, which cannot share the
 * app's connection. (ioredis's two `duplicate`s take different arguments; this is the one call.)
 */
export function duplicateRedisClient(client: RedisClient, connectionName: string, options: DuplicateOptions = {}): RedisClient {
  const { enableAutoPipelining, ...perConnection } = options;
  if (client instanceof Cluster) {
    return client.duplicate(undefined, {
      lazyConnect: true,
      ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      redisOptions: { ...client.options.redisOptions, ...perConnection, connectionName },
    });
  }
  return client.duplicate({
    ...perConnection,
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    connectionName,
    lazyConnect: true,
  });
}

/** The CLIENT SETNAME of `client`'s connections. */
export function redisConnectionName(client: RedisClient): string | undefined {
  return client instanceof Cluster ? client.options.redisOptions?.connectionName : client.options.connectionName;
}
