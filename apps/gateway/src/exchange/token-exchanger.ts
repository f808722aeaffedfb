import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { type AuthClient, type TokenRequestProof, asTokenResponse, oauthError } from '../auth-client/auth-client.js';
import type { DpopKey } from '@authmesh/service-auth';
import { AuthUnavailableError, ExchangeSubjectRefusedError, TokenExchangeFailedError } from '../errors/gateway-errors.js';
import type { ForwardContext } from '../proxy/forward-headers.js';

/**
 * What the exchanged token is bound to: `bearer` for a bearer inbound token (today's exchange),
 * `dpop` for a DPoP-bound one: the exchange carries the gateway's proof, and auth binds the new
 * token to the gateway's key (docs/decisions/010-dpop-gateway-and-replay.md).
 */
export type ExchangeBinding = 'bearer' | 'dpop';

export interface TokenExchangerOptions {
  /** The gateway's DPoP key, for `dpop` exchanges (without it, a `dpop` exchange fails: 502). */
  readonly dpopKey?: DpopKey;
  /** Most cached exchanged tokens (default 10 000). */
  readonly maxEntries?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Counters for metrics and tests. */
export interface ExchangeStats {
  hits: number;
  exchanges: number;
  failures: number;
}

/**
 * RFC 8693 token exchange at auth for every `/api` route not in GATEWAY_FORWARD_UNCHANGED_ROUTES:
 * the user's token (already verified at the edge) becomes one good only for the routed service,
 * with `act: { sub: gateway }`.
 * Exchanged tokens are cached per (binding, subject token, audience) — under a hash, so the cache
 * holds no usable key — until shortly before they (or the subject token) expire, and concurrent
 * requests with the same key share one exchange. The binding is in the key so that a token bound
 * to the gateway's key is only ever served to a DPoP request, and a bearer one only to a Bearer one.
 */
export class TokenExchanger {
  readonly stats: ExchangeStats = { hits: 0, exchanges: 0, failures: 0 };
  private readonly cache: LRUCache<string, string>;
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly now: () => number;
  private readonly dpopKey: DpopKey | undefined;

  constructor(
    private readonly auth: AuthClient,
    options: TokenExchangerOptions = {},
  ) {
    this.cache = new LRUCache<string, string>({ max: options.maxEntries ?? 10_000 });
    this.now = options.now ?? Date.now;
    this.dpopKey = options.dpopKey;
  }

  /**
   * A token for `audience` on behalf of the subject token's user. `subjectExpSeconds` (the subject
   * token's `exp`) bounds how long the result is cached: never longer than the token it stands for.
   */
  async exchange(
    subjectToken: string,
    subjectExpSeconds: number,
    audience: string,
    ctx: ForwardContext,
    binding: ExchangeBinding = 'bearer',
  ): Promise<string> {
    const key = createHash('sha256').update(binding).update('\n').update(audience).update('\n').update(subjectToken).digest('base64url');
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.hits++;
      return cached;
    }
    let flight = this.inflight.get(key);
    if (!flight) {
      flight = this.fetch(key, subjectToken, subjectExpSeconds, audience, ctx, binding).finally(() => this.inflight.delete(key));
      this.inflight.set(key, flight);
    }
    return flight;
  }

  private async fetch(
    key: string,
    subjectToken: string,
    subjectExpSeconds: number,
    audience: string,
    ctx: ForwardContext,
    binding: ExchangeBinding,
  ): Promise<string> {
    this.stats.exchanges++;
    const answer = await this.auth.exchange(subjectToken, audience, ctx, this.proofFor(binding)).catch((e: unknown) => {
      this.stats.failures++;
      throw e;
    });
    const tokens = asTokenResponse(answer);
    if (!tokens) {
      this.stats.failures++;
      // Auth down or shedding load: 503 + Retry-After. Never forward the user's wider token instead.
      if (answer.status >= 500 || answer.status === 429) throw new AuthUnavailableError(`token exchange answered ${answer.status}`);
      // Auth's contract: invalid_grant means the subject token is dead (the user must log in again).
      if (oauthError(answer) === 'invalid_grant') throw new ExchangeSubjectRefusedError(`auth refused the subject token for ${audience}`);
      throw new TokenExchangeFailedError(`auth refused the exchange for ${audience}: ${answer.status} ${oauthError(answer) ?? ''}`);
    }
    // Fail closed: a DPoP request must never get a bearer internal token (the binding would end here).
    if (binding === 'dpop' && tokens.token_type.toLowerCase() !== 'dpop') {
      this.stats.failures++;
      throw new TokenExchangeFailedError(`auth answered token_type ${tokens.token_type} to a DPoP exchange for ${audience}`);
    }
    const lifetimeMs = tokens.expires_in * 1000;
    // "Shortly before expiry": a tenth of the lifetime, at least 5 s, so a cached token always has
    // time to reach the service and be verified there.
    const margin = Math.max(5000, lifetimeMs / 10);
    const ttl = Math.min(lifetimeMs - margin, subjectExpSeconds * 1000 - this.now());
    if (ttl > 0) this.cache.set(key, tokens.access_token, { ttl });
    return tokens.access_token;
  }

  private proofFor(binding: ExchangeBinding): TokenRequestProof | undefined {
    if (binding === 'bearer') return undefined;
    const key = this.dpopKey;
    if (key === undefined) throw new TokenExchangeFailedError('a DPoP exchange without the gateway DPoP key');
    return (nonce) => key.proof('POST', this.auth.tokenEndpoint, nonce === undefined ? {} : { nonce });
  }

  /**
   * This cache and its singleflight for another kind of subject (API keys, `api-keys/`): one
   * cache, one size bound. `key` must not look like exchange()'s (a bare base64url hash): callers
   * prefix theirs. `fetch` answers the token and how long it may be cached (0: not at all);
   * `shared` says whether this request waited on, or hit, someone else's exchange.
   */
  async cached(key: string, fetch: () => Promise<{ token: string; ttlMs: number }>): Promise<{ token: string; shared: boolean }> {
    const hit = this.cache.get(key);
    if (hit !== undefined) return { token: hit, shared: true };
    const running = this.inflight.get(key);
    if (running) return { token: await running, shared: true };
    const flight = fetch()
      .then(({ token, ttlMs }) => {
        if (ttlMs > 0) this.cache.set(key, token, { ttl: ttlMs });
        return token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, flight);
    return { token: await flight, shared: false };
  }

  /** Drops a cached token (one found revoked): the next request exchanges again. */
  forget(key: string): void {
    this.cache.delete(key);
  }
}
