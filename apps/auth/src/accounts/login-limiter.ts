import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import {
  DependencyUnavailableError,
  InjectConfig,
  RedisConnection,
  TooManyRequestsError,
  backoffDelay,
  clientKeyOf,
  createRateLimiter,
} from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/** Too many failed password checks for this account or address: 429 with Retry-After. */
export class TooManyLoginAttempts extends TooManyRequestsError {
  static override readonly code = 'too_many_attempts';
  override readonly code = TooManyLoginAttempts.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many failed login attempts; try again later');
  }
}

/**
 * `takeAttempt` with `pastCap: 'check'`: the account-wide cap was the only budget spent. The
 * caller checks the password anyway (the pair's and the address's budgets were spent as for any
 * attempt) and then answers `refusal` whatever the result, the same 429 as a cap refusal, so a
 * guess past the cap tells nothing; a right password only earns the mailbox an unlock message.
 */
export interface PastCapAttempt {
  refusal: TooManyLoginAttempts;
}

/** The wait before attempt number `beyondFree` past the free failures (1-based): doubling, capped, no jitter. */
export function delaySecondsFor(beyondFree: number, baseSeconds: number, maxSeconds: number): number {
  // Whole seconds in, whole seconds out (AUTH_LOGIN_DELAY_S and _MAX_S are integers): the rounding is exact.
  return backoffDelay(beyondFree, { initial: baseSeconds, max: maxSeconds });
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
 *   Past the cap, login still checks the password from a new address (without telling the answer)
 *   so that the owner's right password can earn an unlock message (`UnlockService`).
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
  private readonly unlockMessages: RateLimiterAbstract;
  private readonly settings: AuthConfig['auth'];

  constructor(redis: RedisConnection, @InjectConfig() config: AuthConfig) {
    this.settings = config.auth;
    // During a Redis outage the counters fall back to this instance's memory (the factory's
    // insurance limiter): still bounded, so logins keep working and guessing stays limited.
    const make = (keyPrefix: string, points: number, durationSeconds: number): RateLimiterAbstract =>
      createRateLimiter(redis, { keyPrefix, points, durationSeconds });
    const s = config.auth;
    this.perAccount = make('auth:login-fail:acct', s.loginMaxFailuresPerAccount, s.loginFailureWindowSeconds);
    this.perAddress = make('auth:login-fail:addr', s.loginMaxFailuresPerAddress, s.loginFailureWindowSeconds);
    // `points` of the free limiter is one less than the free failures: the attempt that spends it
    // is the first to set a block, and it still proceeds (ExpressBruteFlexible's arithmetic).
    this.pairFree = make('auth:login-fail:pair-free', s.loginFreeFailures - 1, s.loginFailureMemorySeconds);
    this.pairBlock = make('auth:login-fail:pair-block', 1, s.loginDelayMaxSeconds);
    this.pairCounter = make('auth:login-fail:pair-count', 1, s.loginFailureMemorySeconds);
    this.known = make('auth:login-known', 1, Math.max(1, s.loginKnownAddressSeconds));
    // One unlock message per (account, address) per interval: a guesser who hits the right password
    // past the cap over and over (or the owner retrying) must not flood the owner's mailbox.
    this.unlockMessages = make('auth:unlock-msg', 1, UNLOCK_MESSAGE_INTERVAL_SECONDS);
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
   *
   * With `pastCap: 'check'` (login), an attempt that only the account-wide cap refuses is not
   * refused here: it spends the pair's and the address's budgets as any guess does (so the pair's
   * growing delays still bound guessing from each address) and the cap's refusal is returned for
   * the caller to answer after checking the password.
   */
  async takeAttempt(email: string, address: string, opts: { pastCap?: 'refuse' | 'check' } = {}): Promise<PastCapAttempt | undefined> {
    const account = accountKey(email);
    const client = clientKeyOf(address);
    const pair = `${account}:${client}`;
    return this.guard(async () => {
      const known = this.settings.loginKnownAddressSeconds > 0 && (await this.known.get(pair)) !== null;
      await this.consumeOrRefuse(this.perAddress, client);
      let refusal: TooManyLoginAttempts | undefined;
      try {
        // A known address counts against the account-wide cap but is not refused by it.
        if (known) await this.perAccount.penalty(account, 1);
        else {
          try {
            await this.consumeOrRefuse(this.perAccount, account);
          } catch (e) {
            if (!(e instanceof TooManyLoginAttempts) || opts.pastCap !== 'check') throw e;
            refusal = e; // nothing was taken from the cap (consumeOrRefuse gave it back)
          }
        }
        try {
          await this.takePairAttempt(pair);
        } catch (e) {
          if (!refusal) await this.perAccount.reward(account, 1);
          throw e;
        }
      } catch (e) {
        await this.perAddress.reward(client, 1);
        throw e;
      }
      return refusal ? { refusal } : undefined;
    });
  }

  /**
   * True at most once per UNLOCK_MESSAGE_INTERVAL_SECONDS for an (account, address) pair: whether
   * an unlock message may be sent now. False when known addresses are off (an unlock would mark
   * nothing).
   */
  async takeUnlockMessage(email: string, address: string): Promise<boolean> {
    if (this.settings.loginKnownAddressSeconds <= 0) return false;
    const pair = `${accountKey(email)}:${clientKeyOf(address)}`;
    return this.guard(async () => {
      try {
        await this.unlockMessages.consume(pair);
        return true;
      } catch (e) {
        if (e instanceof RateLimiterRes) return false;
        throw e;
      }
    });
  }

  /**
   * An unlock token was redeemed: the address becomes known to the account (the record a correct
   * password writes) and the pair's failures are forgotten — the owner proved both the password
   * (it earned the message) and the mailbox. The account's failures stay counted, as on a login.
   */
  async markKnown(email: string, address: string): Promise<void> {
    const pair = `${accountKey(email)}:${clientKeyOf(address)}`;
    await this.guard(async () => {
      await Promise.all([this.pairFree.delete(pair), this.pairBlock.delete(pair), this.pairCounter.delete(pair)]);
      if (this.settings.loginKnownAddressSeconds > 0) await this.known.set(pair, 1, this.settings.loginKnownAddressSeconds);
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

/** At most one unlock message per (account, address) this often (seconds). */
export const UNLOCK_MESSAGE_INTERVAL_SECONDS = 300;

/** Counters are keyed by a hash, so Redis never holds email addresses. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url');
}
