import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  type BudgetOutcome,
  DependencyUnavailableError,
  InjectConfig,
  RedisConnection,
  TooManyRequestsError,
  createRateLimiter,
  rateLimitKeyPrefix,
  takeAddressBudget,
} from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/**
 * A per-address request budget on auth's public endpoints (AUTH_RATE_LIMIT_PER_MIN).
 * Built by platform's `createRateLimiter` (Redis, with an in-memory insurance limiter during an
 * outage), as the gateway's budgets are.
 */
@Injectable()
export class AddressRateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiterAbstract;

  constructor(redis: RedisConnection, @InjectConfig() config: AuthConfig) {
    this.limiter = createRateLimiter(redis, {
      keyPrefix: rateLimitKeyPrefix('auth:', '/addr'),
      points: config.auth.requestsPerMinutePerAddress,
      durationSeconds: 60,
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    let outcome: BudgetOutcome;
    try {
      // Keyed as the gateway keys its budgets (an IPv6 client by its /64): one rule everywhere.
      outcome = await takeAddressBudget(this.limiter, req.ip);
    } catch (e) {
      throw new DependencyUnavailableError('Rate limiting is unavailable', { detail: String(e), cause: e });
    }
    if (!outcome.allowed) throw new TooManyRequestsError(outcome.retryAfterSeconds);
    void http.getResponse<FastifyReply>().header('ratelimit-remaining', String(outcome.remaining));
    return true;
  }
}
