import { jest } from '@jest/globals';
import { RedisConnection } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { LoginLimiter, TooManyLoginAttempts, delaySecondsFor } from './login-limiter.js';

const settings = {
  loginMaxFailuresPerAccount: 10,
  loginMaxFailuresPerAddress: 1000,
  loginFailureWindowSeconds: 3600,
  loginFreeFailures: 3,
  loginDelaySeconds: 2,
  loginDelayMaxSeconds: 10,
  loginFailureMemorySeconds: 86400,
  loginKnownAddressSeconds: 24 * 86400,
  passwordMaxFailuresPerToken: 2,
  accessTokenTtlSeconds: 300,
  clockToleranceSeconds: 30,
};

/** The limiter in memory mode (no Redis client): rate-limiter-flexible's memory store, on Jest's fake clock. */
function limiter(): LoginLimiter {
  const redis = new RedisConnection({ kind: 'memory' }, 'auth');
  return new LoginLimiter(redis, { auth: settings } as unknown as AuthConfig);
}

async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TooManyLoginAttempts) return Number(e.headers['retry-after']);
    throw e;
  }
  return 0;
}

describe('LoginLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('doubles the delay past the free failures, up to the maximum', () => {
    expect([1, 2, 3, 4, 5].map((n) => delaySecondsFor(n, 2, 10))).toEqual([2, 4, 8, 10, 10]);
    expect(delaySecondsFor(1000, 2, 900)).toBe(900);
  });

  it('lets one address fail freely 3 times, then makes each attempt wait 2, 4, 8 s', async () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) await l.takeAttempt('a@x.io', '192.0.2.1');
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const wait = await refusal(l.takeAttempt('a@x.io', '192.0.2.1'));
      waits.push(wait);
      jest.advanceTimersByTime(wait * 1000);
      await l.takeAttempt('a@x.io', '192.0.2.1');
    }
    expect(waits).toEqual([2, 4, 8]);
  });

  it("does not slow down another address of the same account, and forgets an address's failures on success", async () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) await l.takeAttempt('b@x.io', '192.0.2.1');
    expect(await refusal(l.takeAttempt('b@x.io', '192.0.2.1'))).toBe(2);
    await l.takeAttempt('b@x.io', '192.0.2.2');
    await l.recordSuccess('b@x.io', '192.0.2.2');
    for (let i = 0; i < 2; i++) await l.takeAttempt('b@x.io', '192.0.2.2');
  });

  it('caps the account across addresses, except for an address the password was right from', async () => {
    const l = limiter();
    await l.takeAttempt('c@x.io', '192.0.2.9');
    await l.recordSuccess('c@x.io', '192.0.2.9');
    for (let i = 0; i < 10; i++) await l.takeAttempt('c@x.io', `198.51.100.${i}`);
    expect(await refusal(l.takeAttempt('c@x.io', '198.51.100.200'))).toBe(3600);
    await l.takeAttempt('c@x.io', '192.0.2.9');
  });

  it('remembers a known address for days in memory mode too (no timer overflow past 24.8 days)', async () => {
    const l = limiter();
    await l.takeAttempt('k@x.io', '192.0.2.9');
    await l.recordSuccess('k@x.io', '192.0.2.9');
    // Node's timers hold at most 2^31-1 ms: an expiry timer longer than that fires at once.
    jest.advanceTimersByTime(2 * 86400 * 1000);
    for (let i = 0; i < 10; i++) await l.takeAttempt('k@x.io', `198.51.100.${i}`);
    expect(await refusal(l.takeAttempt('k@x.io', '198.51.100.200'))).toBeGreaterThan(0);
    await l.takeAttempt('k@x.io', '192.0.2.9');
  });

  it('counts an IPv6 /64 as one address', async () => {
    const l = limiter();
    for (let i = 1; i <= 3; i++) await l.takeAttempt('d@x.io', `2001:db8::${i}`);
    expect(await refusal(l.takeAttempt('d@x.io', '2001:db8::ffff'))).toBe(2);
  });

  it('gives a token its wrong-password allowance: 1 left, then 0, then spent (-1)', async () => {
    const l = limiter();
    expect(await l.takeTokenAttempt('jti-1')).toBe(1);
    expect(await l.takeTokenAttempt('jti-1')).toBe(0);
    expect(await l.takeTokenAttempt('jti-1')).toBe(-1);
  });
});
