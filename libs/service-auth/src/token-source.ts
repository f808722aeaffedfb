import { backoffDelay } from '@authmesh/platform/core';
import { ClientAssertionSigner, type ClientSigningKey } from './client-assertion.js';
import type { DpopKey } from './dpop-key.js';
import { TokenFetchError } from './errors.js';
import { type FetchedToken, type TokenFetcher, httpTokenFetcher } from './token-fetcher.js';

/** Where a failed token fetch is tried again: exponential backoff with jitter. */
export interface RetryOptions {
  /** Total attempts per fetch, the first included (default 4). */
  readonly attempts?: number;
  /** Delay before the second attempt (default 200 ms); doubled for each one after. */
  readonly baseDelayMs?: number;
  /** Upper bound of any one delay (default 5000 ms). */
  readonly maxDelayMs?: number;
}

export interface ClientCredentialsTokenSourceOptions {
  /** Auth's token endpoint, e.g. http://127.0.0.1:3001/oauth/token */
  readonly tokenUrl: string;
  readonly clientId: string;
  /** client_secret_basic, from configuration, never from code. Exactly one of `clientSecret` and `clientKey`. */
  readonly clientSecret?: string;
  /**
   * private_key_jwt (RFC 7523 §2.2): the client's private key; every request to the token endpoint
   * (retries included) carries a fresh assertion signed with it. No secret is shared with auth.
   */
  readonly clientKey?: ClientSigningKey;
  /** Auth's issuer identifier: the `aud` of the assertions (required with `clientKey`). */
  readonly issuer?: string;
  /** The one audience (RFC 8707) the tokens of this source are for, e.g. `profiles`. */
  readonly audience: string;
  /** Space-separated scopes to ask for (default: every scope the client has). */
  readonly scope?: string;
  /**
   * RFC 9449: the process's DPoP key. Every token request carries a proof of it and the tokens
   * come back bound to it (`cnf.jkt`); give the same key to the ServiceHttpClient that uses them.
   */
  readonly dpop?: DpopKey;
  /** Fraction of a token's lifetime after which it is replaced (default 0.8). */
  readonly refreshAtFraction?: number;
  readonly retry?: RetryOptions;
  /** Per-attempt timeout of the default fetcher (default 5000 ms). */
  readonly fetchTimeoutMs?: number;
  /** The token endpoint call (default: `httpTokenFetcher`); injected in tests. */
  readonly fetcher?: TokenFetcher;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /** Waits between attempts (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** Told about a background refresh that failed (the old token is still served until it expires). */
  readonly onBackgroundError?: (error: unknown) => void;
}

interface CachedToken {
  readonly token: string;
  /** From here on, the next caller starts a refresh (in the background while the token is still valid). */
  readonly refreshAt: number;
  /** From here on, the token is not handed out any more. */
  readonly usableUntil: number;
}

/** Never hand out a token this close to its expiry: it could expire on the way to the callee. */
const EXPIRY_MARGIN_MS = 5000;

/**
 * Client-credentials tokens for one audience ("fetched once, cached, refreshed before
 * expiry"). The token is cached; at `refreshAtFraction` of its lifetime the next caller starts a
 * refresh while still getting the current token, so callers only wait for auth when there is no
 * valid token at all. Every fetch is single flight (concurrent callers share one request to auth)
 * and a failed fetch is retried with exponential backoff and jitter. No timers run in the
 * background: nothing to stop, nothing holding the process open.
 *
 * @example
 * const profilesTokens = new ClientCredentialsTokenSource({
 *   tokenUrl: 'http://127.0.0.1:3001/oauth/token',
 *   clientId: 'orders',
 *   clientSecret: config.clientSecret,
 *   audience: 'profiles',
 * });
 * const token = await profilesTokens.getToken();
 */
export class ClientCredentialsTokenSource {
  readonly audience: string;
  private readonly fetcher: TokenFetcher;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly refreshAtFraction: number;
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly signer: ClientAssertionSigner | undefined;
  private current: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  private fetches = 0;

  constructor(private readonly options: ClientCredentialsTokenSourceOptions) {
    this.audience = options.audience;
    if ((options.clientSecret === undefined) === (options.clientKey === undefined))
      throw new TypeError('exactly one of clientSecret and clientKey is required');
    if (options.clientKey !== undefined && !options.issuer) throw new TypeError("clientKey needs issuer (the assertions' audience)");
    this.signer = options.clientKey === undefined ? undefined : new ClientAssertionSigner(options.clientKey, options.now);
    this.fetcher = options.fetcher ?? httpTokenFetcher({ timeoutMs: options.fetchTimeoutMs });
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.refreshAtFraction = options.refreshAtFraction ?? 0.8;
    if (!(this.refreshAtFraction > 0 && this.refreshAtFraction < 1)) throw new RangeError('refreshAtFraction must be in (0, 1)');
    this.attempts = Math.max(1, options.retry?.attempts ?? 4);
    this.baseDelayMs = options.retry?.baseDelayMs ?? 200;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 5000;
  }

  /** Requests sent to the token endpoint so far (retries included). */
  get fetchCount(): number {
    return this.fetches;
  }

  /** A valid access token for the audience; fetches one only when needed. */
  async getToken(): Promise<string> {
    const now = this.now();
    const current = this.current;
    if (current && now < current.refreshAt) return current.token;
    if (current && now < current.usableUntil) {
      // Past 80 %: refresh in the background, keep serving the still-valid token meanwhile.
      this.refreshOnce().catch((e: unknown) => this.options.onBackgroundError?.(e));
      return current.token;
    }
    return (await this.refreshOnce()).token;
  }

  /**
   * A new token, replacing `rejected` (the one a callee just answered 401 to). When another caller
   * already replaced it, that replacement is returned without a new fetch, so a burst of 401s for
   * one token costs one fetch.
   */
  async refresh(rejected?: string): Promise<string> {
    const current = this.current;
    if (rejected !== undefined && current && current.token !== rejected && this.now() < current.usableUntil) return current.token;
    if (!rejected || current?.token === rejected) this.current = undefined;
    return (await this.refreshOnce()).token;
  }

  /** Single flight: every caller during a fetch shares it. */
  private refreshOnce(): Promise<CachedToken> {
    this.inflight ??= this.fetchWithRetry()
      .then((token) => {
        this.current = token;
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async fetchWithRetry(): Promise<CachedToken> {
    const { tokenUrl, clientId, clientSecret, audience, scope, issuer, dpop } = this.options;
    for (let attempt = 1; ; attempt++) {
      // The lifetime counts from when we asked, not from when the answer arrived.
      const askedAt = this.now();
      let fetched: FetchedToken;
      try {
        this.fetches++;
        // A fresh assertion per attempt: auth refuses a jti it has seen, even one whose request failed on the way.
        const clientAssertion = this.signer === undefined ? undefined : await this.signer.sign(clientId, issuer!);
        fetched = await this.fetcher({ tokenUrl, clientId, clientSecret, clientAssertion, audience, scope, dpop });
      } catch (e) {
        const retryable = !(e instanceof TokenFetchError) || e.retryable;
        if (!retryable || attempt >= this.attempts) throw e;
        await this.sleep(this.backoffMs(attempt));
        continue;
      }
      const lifetimeMs = fetched.expiresInSeconds * 1000;
      return {
        token: fetched.accessToken,
        refreshAt: askedAt + lifetimeMs * this.refreshAtFraction,
        usableUntil: askedAt + Math.max(lifetimeMs * this.refreshAtFraction, lifetimeMs - EXPIRY_MARGIN_MS),
      };
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so instances don't retry in lockstep. */
  private backoffMs(failedAttempt: number): number {
    return backoffDelay(failedAttempt, { initial: this.baseDelayMs, max: this.maxDelayMs, jitter: 'equal', random: this.random });
  }
}
