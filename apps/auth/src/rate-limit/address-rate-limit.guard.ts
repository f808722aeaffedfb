import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DependencyUnavailableError, InjectConfig, RedisConnection, TooManyRequestsError, clientKeyOf } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/**
 * A per-address request budget on auth's public endpoints (AUTH_RATE_LIMIT_PER_MIN).
 * Not @nestjs/throttler: its current release is CommonJS requiring the ESM-only @nestjs/common,
 * which Jest's ESM runtime cannot load on Node 20; rate-limiter-flexible does the same job
 * (Redis-backed, so the budget holds across replicas).
 */
@Injectable()
export class AddressRateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiterAbstract;

  constructor(redis: RedisConnection, @InjectConfig() config: AuthConfig) {
    const opts = { keyPrefix: 'auth:rate:addr', points: config.auth.requestsPerMinutePerAddress, duration: 60 };
    // During a Redis outage the budget falls back to this instance's memory (insurance limiter).
    this.limiter = redis.client
      ? new RateLimiterRedis({ storeClient: redis.client, ...opts, insuranceLimiter: new RateLimiterMemory(opts) })
      : new RateLimiterMemory(opts);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    try {
      // Keyed as the gateway keys its budgets (an IPv6 client by its /64): one rule everywhere.
      const res = await this.limiter.consume(clientKeyOf(req.ip));
      void http.getResponse<FastifyReply>().header('ratelimit-remaining', String(res.remainingPoints));
      return true;
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new TooManyRequestsError(e.msBeforeNext / 1000);
      throw new DependencyUnavailableError('Rate limiting is unavailable', { detail: String(e), cause: e });
    }
  }
}
