import { DependencyUnavailableError, type RedisClient } from '@authmesh/platform';
import type { HttpErrorCode } from '@authmesh/contracts';
import type { SharedReplayStore } from '../core/dpop-replay.js';

/**
 * The shared DPoP replay check could not be made (Redis unreachable or failing) and the policy is
 * `reject` (JWT_DPOP_REPLAY_OUTAGE_POLICY): 503 with Retry-After. Refusing is the safe answer for
 * a proof-of-possession scheme: accepting would let a captured proof be replayed to another replica.
 */
export class DpopReplayUnavailableError extends DependencyUnavailableError {
  static override readonly code: HttpErrorCode = 'dpop_replay_unavailable';
  override readonly code: HttpErrorCode = DpopReplayUnavailableError.code;
  constructor(detail: string, retryAfterSeconds = 2) {
    super('The DPoP replay check is unavailable; try again shortly', { retryAfterSeconds, detail });
  }
}

/** Keys of the shared replay check: `<prefix><hash of jkt and jti>`, each with its own PX expiry. */
export const DPOP_REPLAY_KEY_PREFIX = 'authmesh:dpop:jti:';

/**
 * `SharedReplayStore` on the app's Redis connection (the one the revocation lib uses): one
 * `SET key 1 NX PX ttl` per DPoP request, a single round trip that records the proof and says
 * whether it was new, atomically on every replica (and on a Cluster: one key, one slot).
 */
export class RedisReplayStore implements SharedReplayStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = DPOP_REPLAY_KEY_PREFIX,
  ) {}

  async claim(key: string, ttlMs: number): Promise<boolean> {
    let answer: string | null;
    try {
      answer = await this.redis.set(`${this.prefix}${key}`, '1', 'PX', ttlMs, 'NX');
    } catch (e) {
      throw new DpopReplayUnavailableError(`SET NX PX failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return answer === 'OK';
  }
}
