import { DependencyUnavailableError, type RedisConnection } from '@authmesh/platform';
import { Logger } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewaySettings } from '../config/gateway.config.js';
import { RateLimitedError } from '../errors/gateway-errors.js';

/** The credential-taking endpoints limited per client address, each with its own budget. */
export const RATE_LIMITED_PATHS = ['/auth/login', '/session/login', '/oauth/token'] as const;

/**
 * The path a request URL names, as the upstream's router will see it: without the query, with
 * percent-escapes decoded and trailing slashes dropped, so `/auth/%6Cogin` or `/auth/login/` can't
 * slip past a budget keyed on `/auth/login`.
 */
export function limitedPathOf(url: string): string {
  const raw = url.split('?', 1)[0]!;
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    path = raw;
  }
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * Per-address budgets on the endpoints that take credentials (GATEWAY_LOGIN_RATE_PER_MIN each),
 * in Redis so they hold across gateway replicas. rate-limiter-flexible, as auth uses: the
 * maintained library for exactly this (atomic counters, fixed window, Redis or memory).
 *
 * Redis down: each limiter falls back to this instance's memory (its insurance limiter): the limit
 * still holds per replica (so at most replicas × the limit in total) and logins keep working; a
 * gateway that refused every login while Redis blips would turn a cache outage into a full outage.
 */
export class LoginRateLimiter {
  private readonly logger = new Logger('LoginRateLimiter');
  private readonly limiters: ReadonlyMap<string, RateLimiterAbstract>;

  constructor(redis: RedisConnection, settings: GatewaySettings) {
    const make = (path: string): RateLimiterAbstract => {
      const opts = {
        keyPrefix: `${settings.redisKeyPrefix}rate${path.replace(/\//g, ':')}`,
        points: settings.loginRatePerMinute,
        duration: 60,
      };
      return redis.client
        ? new RateLimiterRedis({ storeClient: redis.client, ...opts, insuranceLimiter: new RateLimiterMemory(opts) })
        : new RateLimiterMemory(opts);
    };
    this.limiters = new Map(RATE_LIMITED_PATHS.map((p) => [p, make(p)]));
  }

  /** True when `path` (without the query) has a budget. */
  applies(method: string, path: string): boolean {
    return method === 'POST' && this.limiters.has(path);
  }

  /** Takes one request from `address`'s budget on `path`; throws RateLimitedError (429) when spent. */
  async take(path: string, address: string): Promise<void> {
    const limiter = this.limiters.get(path);
    if (!limiter) return;
    try {
      await limiter.consume(address);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new RateLimitedError(e.msBeforeNext / 1000);
      // Only when even the insurance limiter fails, which it does not for memory.
      this.logger.error(`rate limiting failed: ${String(e)}`);
      throw new DependencyUnavailableError('Rate limiting is unavailable', { detail: String(e), cause: e });
    }
  }
}
