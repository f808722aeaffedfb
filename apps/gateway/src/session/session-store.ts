import type { RedisClient } from '@authmesh/platform';
import { LRUCache } from 'lru-cache';
import { randomBytes } from 'node:crypto';
import { SessionStoreUnavailableError } from '../errors/gateway-errors.js';

/**
 * Where sealed sessions live, keyed by a hash of the session id, each with a TTL (the idle and
 * absolute timeouts), plus the short lock that keeps two gateway replicas from refreshing one
 * session at once. Redis in production; one process's memory with `REDIS_URL=memory://`.
 */
export interface SessionStore {
  get(key: string): Promise<string | undefined>;
  /** Reads and deletes in one step (GETDEL): of two concurrent takes, one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** Writes the value with a time to live (ms). */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets a new time to live; false when the key is gone. */
  touch(key: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** `SET lock NX PX ttl`: a token when taken, undefined when someone else holds it. */
  tryLock(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lock only if it is still ours (it may have expired and been taken by another replica). */
  unlock(key: string, token: string): Promise<void>;
  /**
   * Compare-and-set: writes the value (with a time to live, ms) only while `lockKey` still holds
   * `token`, atomically; false (nothing written) when the lock expired or another holder has it.
   */
  setIfLocked(key: string, value: string, ttlMs: number, lockKey: string, token: string): Promise<boolean>;
}

// Compare-and-delete: the documented pattern for releasing a `SET NX PX` lock
// (https://redis.io/docs/latest/commands/set/, "Patterns"); a plain DEL could free another
// replica's lock after ours expired.
const UNLOCK_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

// The same pattern for a write that must only happen under the lock: check and set in one script,
// so the lock can't expire between the two.
const SET_IF_LOCKED_SCRIPT = `if redis.call("get", KEYS[2]) == ARGV[2] then redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[3]) return 1 else return 0 end`;

/** Sessions in Redis, shared by every gateway replica. Any Redis failure is a 503 (sessions fail closed). */
export class RedisSessionStore implements SessionStore {
  constructor(
    /** One server, Sentinel's master or a Cluster: the two keys of SET_IF_LOCKED share a hash tag. */
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  get(key: string): Promise<string | undefined> {
    return this.run('get', async () => (await this.redis.get(this.prefix + key)) ?? undefined);
  }

  take(key: string): Promise<string | undefined> {
    return this.run('take', async () => (await this.redis.getdel(this.prefix + key)) ?? undefined);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.run('set', async () => {
      await this.redis.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    });
  }

  touch(key: string, ttlMs: number): Promise<boolean> {
    return this.run('touch', async () => (await this.redis.pexpire(this.prefix + key, Math.max(1, Math.ceil(ttlMs)))) === 1);
  }

  delete(key: string): Promise<void> {
    return this.run('delete', async () => {
      await this.redis.del(this.prefix + key);
    });
  }

  tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(16).toString('base64url');
    return this.run('lock', async () => ((await this.redis.set(this.prefix + key, token, 'PX', ttlMs, 'NX')) === 'OK' ? token : undefined));
  }

  unlock(key: string, token: string): Promise<void> {
    return this.run('unlock', async () => {
      await this.redis.eval(UNLOCK_SCRIPT, 1, this.prefix + key, token);
    });
  }

  setIfLocked(key: string, value: string, ttlMs: number, lockKey: string, token: string): Promise<boolean> {
    return this.run('set', async () => {
      const ttl = String(Math.max(1, Math.ceil(ttlMs)));
      return (await this.redis.eval(SET_IF_LOCKED_SCRIPT, 2, this.prefix + key, this.prefix + lockKey, value, token, ttl)) === 1;
    });
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw new SessionStoreUnavailableError(`session store ${operation}`, e);
    }
  }
}

/**
 * Sessions in this process's memory (`REDIS_URL=memory://`, i.e. `npm start`): the same interface
 * and TTL semantics, bounded in size. Only valid with one gateway process.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new LRUCache<string, string>({ max: 100_000, ttlAutopurge: false });
  private readonly locks = new LRUCache<string, string>({ max: 100_000 });

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async take(key: string): Promise<string | undefined> {
    const value = this.entries.get(key);
    this.entries.delete(key);
    return value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, value, { ttl: Math.max(1, Math.ceil(ttlMs)) });
  }

  async touch(key: string, ttlMs: number): Promise<boolean> {
    const value = this.entries.get(key);
    if (value === undefined) return false;
    this.entries.set(key, value, { ttl: Math.max(1, Math.ceil(ttlMs)) });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    if (this.locks.get(key) !== undefined) return undefined;
    const token = randomBytes(16).toString('base64url');
    this.locks.set(key, token, { ttl: ttlMs });
    return token;
  }

  async unlock(key: string, token: string): Promise<void> {
    if (this.locks.get(key) === token) this.locks.delete(key);
  }

  async setIfLocked(key: string, value: string, ttlMs: number, lockKey: string, token: string): Promise<boolean> {
    if (this.locks.get(lockKey) !== token) return false;
    await this.set(key, value, ttlMs);
    return true;
  }
}
