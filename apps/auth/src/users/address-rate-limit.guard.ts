import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, DependencyUnavailableError, InjectConfig, RedisConnection } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

export class TooManyRequests extends AppError {
  static readonly code = 'too_many_requests';
  readonly code = TooManyRequests.code;
  readonly status = 429;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(retryAfterSeconds: number) {
    super('Too many requests; try again later');
    this.headers = { 'retry-after': String(Math.max(1, retryAfterSeconds)) };
  }
}

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
      const res = await this.limiter.consume(req.ip);
      void http.getResponse<FastifyReply>().header('ratelimit-remaining', String(res.remainingPoints));
      return true;
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new TooManyRequests(Math.ceil(e.msBeforeNext / 1000));
      throw new DependencyUnavailableError('Rate limiting is unavailable', { detail: String(e), cause: e });
    }
  }
}
