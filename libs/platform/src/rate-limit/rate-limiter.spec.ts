import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createRateLimiter, rateLimitKeyPrefix, takeAddressBudget } from './rate-limiter.js';
import { RedisConnection } from '../redis/redis-connection.js';

// Single-process mode (REDIS_URL=memory://); the Redis-backed path is covered by the gateway's and auth's e2e tests.
const memoryMode = new RedisConnection({ kind: 'memory' }, 'rate-limit-spec');

describe('rate limiter factory', () => {
  it('names a per-path budget <namespace>rate:<segments>', () => {
    expect(rateLimitKeyPrefix('gw:', '/auth/login')).toBe('gw:rate:auth:login');
    expect(rateLimitKeyPrefix('auth:', '/addr')).toBe('auth:rate:addr');
    expect(rateLimitKeyPrefix('', '/oauth/token')).toBe('rate:oauth:token');
  });

  it('is a memory limiter in single-process mode', () => {
    expect(createRateLimiter(memoryMode, { keyPrefix: 'x', points: 1, durationSeconds: 60 })).toBeInstanceOf(RateLimiterMemory);
  });

  it('counts every address of one IPv6 /64 against one budget, and refuses with the wait once it is spent', async () => {
    const limiter = createRateLimiter(memoryMode, { keyPrefix: 'spec', points: 2, durationSeconds: 60 });
    expect(await takeAddressBudget(limiter, '2001:db8:1:2::1')).toEqual({ allowed: true, remaining: 1 });
    expect(await takeAddressBudget(limiter, '2001:db8:1:2:ffff::9')).toEqual({ allowed: true, remaining: 0 });
    const refused = await takeAddressBudget(limiter, '2001:db8:1:2::abcd');
    expect(refused).toMatchObject({ allowed: false });
    expect(refused.allowed === false && refused.retryAfterSeconds).toBeGreaterThan(59);
    // Another /64 has its own budget.
    expect(await takeAddressBudget(limiter, '2001:db8:1:3::1')).toEqual({ allowed: true, remaining: 1 });
  });
});
