import { Logger } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { type DuplicateOptions, type RedisClient, createRedisClient, duplicateRedisClient } from './redis-client-factory.js';
import type { RedisConfig } from './redis-url.js';

/**
 * The app's Redis connection, or the in-memory stand-in of single-process mode (`REDIS_URL=memory://`).
 * Stores built on Redis (revocation, sessions, rate limits) pick their implementation from `mode`.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  readonly mode: 'redis' | 'memory';
  /** The ioredis client (`Redis` for one server or Sentinel, `Cluster` for a cluster); undefined in memory mode. */
  readonly client: RedisClient | undefined;
  /** Which REDIS_URL form this is (`memory`, `redis` for one server, `sentinel`, `cluster`). */
  readonly topology: RedisConfig['kind'];
  /** CLIENT SETNAME of the app's connection: `authmesh-<app>`. */
  readonly connectionName: string;
  private lastErrorLog = 0;
  private closing = false;

  constructor(config: RedisConfig, appName: string) {
    this.mode = config.kind === 'memory' ? 'memory' : 'redis';
    this.topology = config.kind;
    this.connectionName = `authmesh-${appName}`;
    if (config.kind === 'memory') {
      this.client = undefined;
      this.logger.warn(
        `REDIS_URL=memory:// — ${appName} uses an in-memory stand-in for Redis. This is only valid when every service runs in ONE process (npm start); never use it with several processes or replicas.`,
      );
      return;
    }
    // Fail-fast options (no offline queue, bounded retries): see createRedisClient.
    this.client = createRedisClient(config, { connectionName: this.connectionName });
    // ioredis gives up for good (status `end`) when a connect attempt itself rejects, e.g. one cut
    // short mid-way through asking the sentinels for the master; an app that outlives a Redis
    // failover must not be left without Redis until it is restarted, so start again.
    this.client.on('end', () => {
      if (this.closing) return;
      setTimeout(() => {
        if (!this.closing && this.client?.status === 'end') this.client.connect().catch(() => undefined);
      }, 1000).unref();
    });
    // Without a listener ioredis reports "Unhandled error event"; log at most every 10 s.
    this.client.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLog > 10_000) {
        this.lastErrorLog = now;
        this.logger.warn(`Redis connection error: ${err.message}`);
      }
    });
  }

  async connect(): Promise<void> {
    if (!this.client) return;
    try {
      await this.client.connect();
    } catch (err) {
      // Start anyway: readiness reports Redis down and ioredis keeps reconnecting.
      this.logger.warn(`Redis not reachable at start-up: ${(err as Error).message}`);
    }
  }

  /**
   * Another connection of the same topology and bounds, named `authmesh-<app>-<purpose>`, not yet
   * connected (a subscriber, a blocking read). Undefined in memory mode.
   */
  duplicate(purpose: string, options: DuplicateOptions = {}): RedisClient | undefined {
    if (!this.client) return undefined;
    return duplicateRedisClient(this.client, `${this.connectionName}-${purpose}`, options);
  }

  /**
   * Round trip to Redis, bounded by `timeoutMs`. Memory mode is always up. On a Cluster every
   * master must answer: a master that is down (until its replica is elected) leaves its slots'
   * sessions, limits and revocations unreachable.
   */
  async ping(timeoutMs = 1000): Promise<void> {
    if (!this.client) return;
    if (this.client.status !== 'ready') throw new Error(`Redis connection is ${this.client.status}`);
    const client = this.client;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client instanceof Cluster ? Promise.all(client.nodes('master').map((node) => node.ping())) : client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis ping timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (!this.client) return;
    this.closing = true;
    this.client.disconnect();
  }
}
