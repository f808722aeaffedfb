import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DependencyUnavailableError, InjectConfig, RedisConnection, TooManyRequestsError } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/** Too many failed logins for this account or address: 429 with Retry-After. */
export class TooManyLoginAttempts extends TooManyRequestsError {
  static override readonly code = 'too_many_attempts';
  override readonly code = TooManyLoginAttempts.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many failed login attempts; try again later');
  }
}

/**
 * Counts failed logins per account and per client address in a fixed window (Redis, so the
 * limit holds across auth replicas; memory in single-process mode). Uses rate-limiter-flexible,
 * the maintained package made for exactly this, rather than hand-written counters.
 */
@Injectable()
export class LoginLimiter {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;

  constructor(redis: RedisConnection, @InjectConfig() config: AuthConfig) {
    const duration = config.auth.loginFailureWindowSeconds;
    const make = (keyPrefix: string, points: number): RateLimiterAbstract =>
      redis.client
        ? // During a Redis outage the counters fall back to this instance's memory (rate-limiter-flexible's
          // insurance limiter): still bounded, so logins keep working and guessing stays limited.
          new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix,
            points,
            duration,
            insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
          })
        : new RateLimiterMemory({ keyPrefix, points, duration });
    this.perAccount = make('auth:login-fail:acct', config.auth.loginMaxFailuresPerAccount);
    this.perAddress = make('auth:login-fail:addr', config.auth.loginMaxFailuresPerAddress);
  }

  /**
   * Takes one attempt from both budgets BEFORE the password is checked, so parallel guesses can't
   * all slip past a read-only check while argon2 runs; throws TooManyLoginAttempts when spent.
   */
  async takeAttempt(email: string, address: string): Promise<void> {
    await this.guard(async () => {
      try {
        await Promise.all([this.perAccount.consume(accountKey(email)), this.perAddress.consume(address)]);
      } catch (e) {
        if (e instanceof RateLimiterRes) throw new TooManyLoginAttempts(Math.ceil(e.msBeforeNext / 1000));
        throw e;
      }
    });
  }

  /** A correct password: the account's failures are forgiven and the address gets its attempt back. */
  async recordSuccess(email: string, address: string): Promise<void> {
    await this.guard(() => Promise.all([this.perAccount.delete(accountKey(email)), this.perAddress.reward(address, 1)]));
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TooManyLoginAttempts) throw e;
      // Without the counters we can't bound guessing: refuse (503), never fail open.
      throw new DependencyUnavailableError('Login is temporarily unavailable', { detail: String(e), cause: e });
    }
  }
}

/** Counters are keyed by a hash, so Redis never holds email addresses. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}
