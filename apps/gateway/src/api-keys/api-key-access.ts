import { type RedisConnection, clientKeyOf, createRateLimiter, rateLimitKeyPrefix, takeAddressBudget } from '@authmesh/platform';
import { InvalidTokenHttpError } from '@authmesh/token-verifier';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { type AuthClient, asTokenResponse, oauthError } from '../auth-client/auth-client.js';
import type { ApiRouteName, GatewaySettings } from '../config/gateway.config.js';
import type { EdgeVerifier } from '../edge/edge-verifier.js';
import { AuthUnavailableError, TokenExchangeFailedError } from '../errors/gateway-errors.js';
import type { TokenExchanger } from '../exchange/token-exchanger.js';
import type { ForwardContext } from '../proxy/forward-headers.js';
import {
  ApiKeyGuessLimitedError,
  ApiKeyInsufficientScopeError,
  ApiKeyInvalidError,
  ApiKeyRateLimitedError,
  CredentialsAmbiguousError,
} from './api-key.errors.js';

const API_KEY_HEADER = 'x-api-key';
const API_KEY_SCHEME = /^ApiKey[ \t]+(\S+)[ \t]*$/i;
/** Longer than a key (58 characters) by far; a longer header is not a key and is refused without hashing it. */
const MAX_PRESENTED = 200;

/**
 * The API key a request presents (`Authorization: ApiKey <key>` or `X-API-Key: <key>`), if any,
 * removed from the request so no upstream, log or trace behind the gateway ever holds it. A key
 * with a bearer token or the session cookie on the same request is refused (400): which identity
 * would it be? Two keys are refused too.
 */
export function takeApiKey(request: Pick<FastifyRequest, 'headers' | 'cookies'>, sessionCookieName: string): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  const authorization = request.headers.authorization;
  const fromScheme = typeof authorization === 'string' ? API_KEY_SCHEME.exec(authorization)?.[1] : undefined;
  if (header === undefined && fromScheme === undefined) {
    if (typeof authorization === 'string' && /^ApiKey\b/i.test(authorization)) delete request.headers.authorization;
    return undefined;
  }
  delete request.headers[API_KEY_HEADER];
  if (fromScheme !== undefined) delete request.headers.authorization;
  if (Array.isArray(header) || (header !== undefined && fromScheme !== undefined))
    throw new CredentialsAmbiguousError('several API keys on one request');
  if (header !== undefined && authorization !== undefined) throw new CredentialsAmbiguousError('an API key and an Authorization header');
  if (request.cookies?.[sessionCookieName] !== undefined) throw new CredentialsAmbiguousError('an API key and a session cookie');
  return fromScheme ?? header!.trim();
}

/**
 * API keys at the edge (issue 22): a key on an `/api/*` route is exchanged at auth (RFC 8693,
 * subject type api_key) for a short token for that one service, which the upstream gets as
 * `Authorization: Bearer`. The exchanged token is cached in the TokenExchanger's cache (per key
 * hash and service, and client address when auth says the key has an allow-list) until shortly
 * before it expires, and concurrent first requests share one exchange: a key is checked at auth
 * about once per token lifetime per replica.
 *
 * Each request re-verifies the cached token at the edge (signature, expiry and the revocation
 * mirror): revoking a key revokes its tokens' jtis, so the cached one is found revoked within the
 * mirror's latency, dropped, and the fresh exchange is refused by auth → 401.
 *
 * Budgets (Redis, shared by replicas): requests per key (GATEWAY_API_KEY_RATE_PER_MIN), and
 * refused keys per client address (GATEWAY_API_KEY_FAILURES_PER_MIN), read before anything is
 * sent to auth — guessing costs the guesser a 429, not auth a lookup.
 */
export class ApiKeyAccess {
  private readonly perKey: RateLimiterAbstract;
  private readonly failures: RateLimiterAbstract;
  private readonly exchanges: Counter<'result'>;
  /** Key hashes auth said are address-bound: their cache entries are per client address. */
  private readonly addressBound = new LRUCache<string, true>({ max: 10_000 });
  /** The client address each address-bound token was issued for. */
  private readonly tokenAddresses = new LRUCache<string, string>({ max: 10_000 });

  constructor(
    private readonly auth: AuthClient,
    private readonly exchanger: TokenExchanger,
    private readonly verifier: EdgeVerifier,
    redis: RedisConnection,
    settings: GatewaySettings,
    registry: Registry,
  ) {
    const prefix = (name: string): string => rateLimitKeyPrefix(settings.redisKeyPrefix, name);
    this.perKey = createRateLimiter(redis, { keyPrefix: prefix('/api-key'), points: settings.apiKeyRatePerMinute, durationSeconds: 60 });
    this.failures = createRateLimiter(redis, {
      keyPrefix: prefix('/api-key-failures'),
      points: settings.apiKeyFailuresPerMinute,
      durationSeconds: 60,
    });
    this.exchanges = new Counter({
      name: 'gateway_api_key_exchanges_total',
      help: 'Requests with an API key, by whether the exchanged token came from the cache (hit) or a new exchange at auth (miss)',
      labelNames: ['result'],
      registers: [registry],
    });
  }

  /**
   * The Authorization for the upstream of `/api/<audience>` of a request presenting `key`.
   * Throws ApiKeyInvalidError (401), ApiKeyInsufficientScopeError (403), a 429, or 503 when auth
   * can't be reached for a key not cached.
   */
  async authorize(key: string, audience: ApiRouteName, ctx: ForwardContext): Promise<string> {
    const address = ctx.forwardedFor;
    const blocked = await this.failures.get(clientKeyOf(address)).catch(() => null);
    if (blocked !== null && blocked.remainingPoints <= 0) throw new ApiKeyGuessLimitedError(blocked.msBeforeNext / 1000);
    if (key.length > MAX_PRESENTED) return this.refuse(address, 'an over-long API key');
    const hash = createHash('sha256').update(key).digest('base64url');
    try {
      await this.perKey.consume(hash);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new ApiKeyRateLimitedError(e.msBeforeNext / 1000);
      throw e;
    }
    for (let attempt = 0; ; attempt++) {
      const cacheKey = `apikey:${audience}:${hash}${this.addressBound.has(hash) ? `:${address}` : ''}`;
      const { token, shared } = await this.exchanger.cached(cacheKey, () => this.exchange(key, hash, audience, address, ctx));
      this.exchanges.inc({ result: shared ? 'hit' : 'miss' });
      // Concurrent first requests share one exchange before anyone knows the key is address-bound:
      // a token auth issued for another address is not this request's (its allow-list decides).
      const boundTo = this.tokenAddresses.get(token);
      if (boundTo !== undefined && boundTo !== address) {
        if (attempt > 1) throw new ApiKeyInvalidError('address-bound token of another address');
        continue;
      }
      try {
        // The cached token is judged as its service will judge it, revocation included.
        await this.verifier.verify(audience, token);
        return `Bearer ${token}`;
      } catch (e) {
        if (!(e instanceof InvalidTokenHttpError)) throw e;
        this.exchanger.forget(cacheKey);
        // A fresh token that fails too: auth's answer and the edge disagree (a clock or key problem).
        if (attempt > 0 || !shared) throw new ApiKeyInvalidError(`exchanged token refused at the edge: ${e.code}`);
      }
    }
  }

  private async exchange(
    key: string,
    hash: string,
    audience: string,
    address: string,
    ctx: ForwardContext,
  ): Promise<{ token: string; ttlMs: number }> {
    const answer = await this.auth.exchangeApiKey(key, audience, ctx);
    const tokens = asTokenResponse(answer);
    if (!tokens) {
      if (answer.status >= 500 || answer.status === 429) throw new AuthUnavailableError(`API key exchange answered ${answer.status}`);
      const error = oauthError(answer);
      if (error === 'invalid_grant') return this.refuse(address, `auth refused the API key for ${audience}`);
      if (error === 'invalid_target' || error === 'invalid_scope')
        throw new ApiKeyInsufficientScopeError(`auth answered ${error} for ${audience}`);
      throw new TokenExchangeFailedError(`auth refused the API key exchange for ${audience}: ${answer.status} ${error ?? ''}`);
    }
    const lifetimeMs = tokens.expires_in * 1000;
    // As the user-token exchange does: a tenth of the lifetime, at least 5 s, before expiry.
    let ttlMs = lifetimeMs - Math.max(5000, lifetimeMs / 10);
    const bound = (answer.body as { address_bound?: unknown }).address_bound === true;
    if (bound) this.tokenAddresses.set(tokens.access_token, address);
    if (bound && !this.addressBound.has(hash)) {
      // First seen bound: this entry was keyed without the address; cache it under the bound key from now on.
      this.addressBound.set(hash, true);
      ttlMs = 0;
    }
    return { token: tokens.access_token, ttlMs };
  }

  /** Spends one of `address`'s failure budget and answers the one 401 of every bad key. */
  private async refuse(address: string, detail: string): Promise<never> {
    await takeAddressBudget(this.failures, address).catch(() => undefined);
    throw new ApiKeyInvalidError(detail);
  }
}
