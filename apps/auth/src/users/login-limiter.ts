import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DependencyUnavailableError, InjectConfig, RedisConnection, TooManyRequestsError, clientKeyOf } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/** Too many failed password checks for this account or address: 429 with Retry-After. */
export class TooManyLoginAttempts extends TooManyRequestsError {
  static override readonly code = 'too_many_attempts';
  override readonly code = TooManyLoginAttempts.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many failed login attempts; try again later');
  }
}

/** The wait before attempt number `beyondFree` past the free failures (1-based): doubling, capped. */
export function delaySecondsFor(beyondFree: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.min(30, Math.max(0, beyondFree - 1)));
}

/**
 * Budgets on password guessing (login, password change, and any other endpoint that checks a
 * user's password), built so that brute force stays expensive but nobody can lock an account:
 *
 * - per (account, address): `loginFreeFailures` consecutive failures, then each further attempt
 *   must wait a delay that doubles (AUTH_LOGIN_DELAY_S … AUTH_LOGIN_DELAY_MAX_S). The right
 *   password from that address forgets its failures. An attacker's failures slow down only the
 *   attacker's own address: the owner elsewhere is not affected.
 * - per account, from addresses it does not know: `loginMaxFailuresPerAccount` failures per
 *   window, whatever the number of addresses (a botnet gets no more than this). An address the
 *   account's password was right from recently ("known address", OWASP's device-cookie idea keyed
 *   on the client address) is not held by this cap, so the owner can still log in while it is spent.
 * - per address over all accounts: `loginMaxFailuresPerAddress` per window (credential stuffing).
 *
 * Every budget is taken BEFORE the password is checked, so parallel guesses can't all slip past a
 * read-only check while argon2 runs, and given back when the password was right. The progressive
 * delay is the algorithm of rate-limiter-flexible's ExpressBruteFlexible (free / block / counter
 * limiters; the first attempt to set a block proceeds, the others wait), on the same maintained
 * package, in Redis so it holds across auth replicas (memory in single-process mode).
 * Addresses count by `clientKeyOf` (an IPv6 client by its /64), as at the gateway.
 */
@Injectable()
export class LoginLimiter {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  private readonly pairFree: RateLimiterAbstract;
  private readonly pairBlock: RateLimiterAbstract;
  private readonly pairCounter: RateLimiterAbstract;
  private readonly known: RateLimiterAbstract;
  private readonly perToken: RateLimiterAbstract;
  private readonly settings: AuthConfig['auth'];

  constructor(redis: RedisConnection, @InjectConfig() config: AuthConfig) {
    this.settings = config.auth;
    const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
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
    const s = config.auth;
    this.perAccount = make('auth:login-fail:acct', s.loginMaxFailuresPerAccount, s.loginFailureWindowSeconds);
    this.perAddress = make('auth:login-fail:addr', s.loginMaxFailuresPerAddress, s.loginFailureWindowSeconds);
    // `points` of the free limiter is one less than the free failures: the attempt that spends it
    // is the first to set a block, and it still proceeds (ExpressBruteFlexible's arithmetic).
    this.pairFree = make('auth:login-fail:pair-free', s.loginFreeFailures - 1, s.loginFailureMemorySeconds);
    this.pairBlock = make('auth:login-fail:pair-block', 1, s.loginDelayMaxSeconds);
    this.pairCounter = make('auth:login-fail:pair-count', 1, s.loginFailureMemorySeconds);
    this.known = make('auth:login-known', 1, Math.max(1, s.loginKnownAddressSeconds));
    // No access token lives longer than this, so neither does its count.
    this.perToken = make('auth:password-fail:token', s.passwordMaxFailuresPerToken, s.accessTokenTtlSeconds + s.clockToleranceSeconds);
  }

  /**
   * One wrong-password allowance of an access token on POST /auth/password, taken BEFORE the check
   * (parallel guesses with one token count too). Returns how many are left after this one (0: this
   * is the last; the caller revokes the token if it fails), or -1 when none was left.
   */
  async takeTokenAttempt(tokenId: string): Promise<number> {
    return this.guard(async () => {
      try {
        return (await this.perToken.consume(tokenId)).remainingPoints;
      } catch (e) {
        if (e instanceof RateLimiterRes) return -1;
        throw e;
      }
    });
  }

  /** Gives back a token's allowance (the password was right, or no password was checked). */
  async cancelTokenAttempt(tokenId: string): Promise<void> {
    await this.guard(() => this.perToken.reward(tokenId, 1));
  }

  /**
   * Takes one attempt from every budget BEFORE the password is checked; throws TooManyLoginAttempts
   * (429, Retry-After) when one is spent, having given back what it took from the others (a
   * refused attempt is no guess).
   */
  async takeAttempt(email: string, address: string): Promise<void> {
    const account = accountKey(email);
    const client = clientKeyOf(address);
    const pair = `${account}:${client}`;
    await this.guard(async () => {
      const known = this.settings.loginKnownAddressSeconds > 0 && (await this.known.get(pair)) !== null;
      await this.consumeOrRefuse(this.perAddress, client);
      try {
        // A known address counts against the account-wide cap but is not refused by it.
        if (known) await this.perAccount.penalty(account, 1);
        else await this.consumeOrRefuse(this.perAccount, account);
        try {
          await this.takePairAttempt(pair);
        } catch (e) {
          await this.perAccount.reward(account, 1);
          throw e;
        }
      } catch (e) {
        await this.perAddress.reward(client, 1);
        throw e;
      }
    });
  }

  /**
   * A correct password: this attempt is given back, the pair's consecutive failures are forgotten,
   * and the address becomes known to the account. The account's other failures stay counted: the
   * owner logging in must not reopen the account-wide cap for an attacker spending it.
   */
  async recordSuccess(email: string, address: string): Promise<void> {
    const account = accountKey(email);
    const client = clientKeyOf(address);
    const pair = `${account}:${client}`;
    await this.guard(async () => {
      await Promise.all([
        this.perAccount.reward(account, 1),
        this.perAddress.reward(client, 1),
        this.pairFree.delete(pair),
        this.pairBlock.delete(pair),
        this.pairCounter.delete(pair),
      ]);
      if (this.settings.loginKnownAddressSeconds > 0) await this.known.set(pair, 1, this.settings.loginKnownAddressSeconds);
    });
  }

  /** The free failures first; past them, one attempt per delay, each delay twice the last. */
  private async takePairAttempt(pair: string): Promise<void> {
    try {
      await this.pairFree.consume(pair);
      return;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
    }
    const [block, counter] = await Promise.all([this.pairBlock.get(pair), this.pairCounter.get(pair)]);
    if (block !== null && block.consumedPoints > 0) throw new TooManyLoginAttempts(block.msBeforeNext / 1000);
    const beyondFree = (counter?.consumedPoints ?? 0) + 1;
    const delay = delaySecondsFor(beyondFree, this.settings.loginDelaySeconds, this.settings.loginDelayMaxSeconds);
    // Of attempts racing here, only the one whose penalty creates the block proceeds.
    const set = await this.pairBlock.penalty(pair, 1, { customDuration: delay });
    if (set.consumedPoints !== 1) throw new TooManyLoginAttempts(set.msBeforeNext / 1000);
    await this.pairCounter.penalty(pair, 1);
  }

  private async consumeOrRefuse(limiter: RateLimiterAbstract, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        // consume counted this refused attempt too: give it back.
        await limiter.reward(key, 1);
        throw new TooManyLoginAttempts(e.msBeforeNext / 1000);
      }
      throw e;
    }
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
