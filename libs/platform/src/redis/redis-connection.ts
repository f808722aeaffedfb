import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../config/base-config.js';

/**
 * The app's Redis connection, or the in-memory stand-in of single-process mode (`REDIS_URL=memory://`).
 * Stores built on Redis (revocation, sessions, rate limits) pick their implementation from `mode`.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  readonly mode: 'redis' | 'memory';
  /** The ioredis client; undefined in memory mode. */
  readonly client: Redis | undefined;
  private lastErrorLog = 0;

  constructor(config: RedisConfig, appName: string) {
    this.mode = config.kind;
    if (config.kind === 'memory') {
      this.client = undefined;
      this.logger.warn(
        `REDIS_URL=memory:// — ${appName} uses an in-memory stand-in for Redis. This is only valid when every service runs in ONE process (npm start); never use it with several processes or replicas.`,
      );
      return;
    }
    this.client = new Redis(config.url, {
      connectionName: `authmesh-${appName}`,
      lazyConnect: true,
      // Fail commands fast while disconnected instead of queueing them forever; callers map to 503.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 200, 2000),
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

  /** Round trip to Redis, bounded by `timeoutMs`. Memory mode is always up. */
  async ping(timeoutMs = 1000): Promise<void> {
    if (!this.client) return;
    if (this.client.status !== 'ready') throw new Error(`Redis connection is ${this.client.status}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.ping(),
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
    this.client.disconnect();
  }
}
