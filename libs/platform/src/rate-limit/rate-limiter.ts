import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { clientKeyOf } from '../http/client-key.js';
import type { RedisConnection } from '../redis/redis-connection.js';

/** One budget: `points` requests per `durationSeconds`, counted under `keyPrefix`. */
export interface RateLimitBudget {
  /** The Redis key namespace of this budget's counters (see `rateLimitKeyPrefix`). */
  readonly keyPrefix: string;
  readonly points: number;
  readonly durationSeconds: number;
}

/**
 * A rate-limiter-flexible limiter for `budget`: in Redis, so the budget holds across replicas, with
 * an in-memory insurance limiter (`insuranceLimiter`) that takes over while Redis is down. The
 * limit then still holds per replica (at most replicas × the limit in total) and the endpoint keeps
 * working: a service that refused every login while Redis blips would turn a cache outage into a
 * full outage. Memory only in single-process mode (`REDIS_URL=memory://`).
 *
 * rate-limiter-flexible rather than @nestjs/throttler: the throttler's current release is CommonJS
 * requiring the ESM-only @nestjs/common, which Jest's ESM runtime cannot load on Node 20; this is
 * the maintained library for exactly this (atomic counters, fixed window, Redis or memory).
 *
 * @example
 * const limiter = createRateLimiter(redis, { keyPrefix: rateLimitKeyPrefix('auth:', '/addr'), points: 60, durationSeconds: 60 });
 * const outcome = await takeAddressBudget(limiter, req.ip);
 * if (!outcome.allowed) throw new TooManyRequestsError(outcome.retryAfterSeconds);
 */
export function createRateLimiter(redis: RedisConnection, budget: RateLimitBudget): RateLimiterAbstract {
  const opts = { keyPrefix: budget.keyPrefix, points: budget.points, duration: budget.durationSeconds };
  return redis.client
    ? new RateLimiterRedis({ storeClient: redis.client, ...opts, insuranceLimiter: new RateLimiterMemory(opts) })
    : new RateLimiterMemory(opts);
}

/**
 * The key prefix of a per-path budget: `<namespace>rate:<path segments joined by ':'>`, e.g.
 * `rateLimitKeyPrefix('gw:', '/auth/login')` is `gw:rate:auth:login`. `namespace` is the app's own
 * key prefix (it ends with its separator, or is empty).
 */
export function rateLimitKeyPrefix(namespace: string, path: string): string {
  return `${namespace}rate${path.replace(/\//g, ':')}`;
}

/** What taking one request from a budget gave: allowed with what is left, or refused with the wait. */
export type BudgetOutcome =
  { readonly allowed: true; readonly remaining: number } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Takes one request from `address`'s budget, keyed by `clientKeyOf` (an IPv6 client by its /64):
 * the one rule every per-address budget uses, so a client is the same key at the gateway and at
 * auth. Rejects (with the store's error) only when even the insurance limiter failed; the caller
 * answers 503 then, never fails open.
 */
export async function takeAddressBudget(limiter: RateLimiterAbstract, address: string): Promise<BudgetOutcome> {
  try {
    const res = await limiter.consume(clientKeyOf(address));
    return { allowed: true, remaining: res.remainingPoints };
  } catch (e) {
    if (e instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: e.msBeforeNext / 1000 };
    throw e;
  }
}
