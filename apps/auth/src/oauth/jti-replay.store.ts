import { createHash } from 'node:crypto';
import { DependencyUnavailableError, RedisConnection } from '@authmesh/platform';

/** What one JtiReplayStore remembers: its Redis key prefix (the app's namespace) and how its outage is described. */
export interface JtiReplayStoreOptions {
  /** E.g. `auth:assertion-jti:`; each use has its own, so a client assertion's jti never collides with a proof's. */
  keyPrefix: string;
  /** The public message of the 503 when Redis does not answer. */
  unavailableMessage: string;
}

/**
 * Single use of `jti`s, for every signed thing auth must not accept twice: client assertions (RFC
 * 7523 §3 item 7: the server may keep the `jti`s it saw until they expire and refuse a second use)
 * and DPoP proofs at the token endpoint (RFC 9449 §11.1: a proof replayed within its window).
 * One `SET key 1 PX ttl NX` per claim on auth's own Redis connection: atomic across every auth
 * instance, one key so one Cluster slot, and a Sentinel failover costs at most the writes Redis
 * itself lost. With `REDIS_URL=memory://` (one process, `npm start`) an in-process map stands in.
 * The key holds a hash of the namespace (the client id) and `jti`, so its length does not depend
 * on what a client sends. Built by OAuthModule's factories (the clock is injectable for tests).
 */
export class JtiReplayStore {
  private readonly memory = new Map<string, number>();
  private nextSweepMs = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: JtiReplayStoreOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records `jti` within `namespace` (a client id, a key thumbprint) as used for `ttlMs`. True the
   * first time; false while an earlier use is remembered (a replay). Throws a 503 error when Redis
   * does not answer.
   */
  async claim(namespace: string, jti: string, ttlMs: number): Promise<boolean> {
    const key = this.options.keyPrefix + createHash('sha256').update(`${namespace}\0${jti}`).digest('base64url');
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const client = this.redis.client;
    if (client === undefined) return this.claimInMemory(key, ttl);
    try {
      return (await client.set(key, '1', 'PX', ttl, 'NX')) === 'OK';
    } catch (e) {
      // Redis can't say whether the jti was used already: 503 with Retry-After, as auth's other
      // Redis outages answer; never accept it unchecked (fail closed).
      throw new DependencyUnavailableError(this.options.unavailableMessage, { detail: String(e), cause: e });
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

/** The store of client assertions' jtis (RFC 7523). */
export const ASSERTION_REPLAY = Symbol('ASSERTION_REPLAY');
/** The store of DPoP proofs' jtis at the token endpoint (RFC 9449 §11.1). */
export const DPOP_PROOF_REPLAY = Symbol('DPOP_PROOF_REPLAY');
