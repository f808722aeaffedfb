import { createHash } from 'node:crypto';
import { DependencyUnavailableError, RedisConnection } from '@authmesh/platform';

/** Where the `jti`s of client assertions already used are kept (the app's Redis namespace, as the login counters). */
const KEY_PREFIX = 'auth:assertion-jti:';

/**
 * Single use of client assertions (RFC 7523 §3 item 7: the server may keep the `jti`s it saw until
 * they expire and refuse a second use). One `SET key 1 PX ttl NX` per assertion on auth's own
 * Redis connection: atomic across every auth instance, one key so one Cluster slot, and a Sentinel
 * failover costs at most the writes Redis itself lost. With `REDIS_URL=memory://` (one process,
 * `npm start`) an in-process map stands in. The key holds a hash of the client id and `jti`, so
 * its length does not depend on what a client sends. Built by OAuthModule's factory (the clock
 * is injectable for tests).
 */
export class AssertionReplayStore {
  private readonly memory = new Map<string, number>();
  private nextSweepMs = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records `jti` of `clientId` as used for `ttlMs`. True the first time; false while an earlier
   * use is remembered (a replay). Throws a 503 error when Redis does not answer.
   */
  async claim(clientId: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = KEY_PREFIX + createHash('sha256').update(`${clientId}\0${jti}`).digest('base64url');
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const client = this.redis.client;
    if (client === undefined) return this.claimInMemory(key, ttl);
    try {
      return (await client.set(key, '1', 'PX', ttl, 'NX')) === 'OK';
    } catch (e) {
      // Redis can't say whether the assertion was used already: 503 with Retry-After, as auth's
      // other Redis outages answer; never accept it unchecked (fail closed).
      throw new DependencyUnavailableError('Client authentication is temporarily unavailable', { detail: String(e), cause: e });
    }
  }

  private claimInMemory(key: string, ttlMs: number): boolean {
    const now = this.now();
    if (now >= this.nextSweepMs) {
      for (const [k, until] of this.memory) if (until <= now) this.memory.delete(k);
      this.nextSweepMs = now + 60_000;
    }
    const until = this.memory.get(key);
    if (until !== undefined && until > now) return false;
    this.memory.set(key, now + ttlMs);
    return true;
  }
}
