import { jest } from '@jest/globals';
import { RedisConnection } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { LoginLimiter, TooManyLoginAttempts, UNLOCK_MESSAGE_INTERVAL_SECONDS, delaySecondsFor } from './login-limiter.js';

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
  describe('past the account-wide cap (the unlock path)', () => {
    async function spendCap(l: LoginLimiter, email: string): Promise<void> {
      for (let i = 0; i < 10; i++) await l.takeAttempt(email, `198.51.100.${i}`);
    }

    it("hands login the cap's refusal instead of throwing it, when only the cap is spent", async () => {
      const l = limiter();
      await spendCap(l, 'p@x.io');
      // Other callers (password change, admin token) are still refused outright.
      expect(await refusal(l.takeAttempt('p@x.io', '203.0.113.1'))).toBe(3600);
      jest.advanceTimersByTime(1000);
      const pastCap = await l.takeAttempt('p@x.io', '203.0.113.1', { pastCap: 'check' });
      expect(pastCap?.refusal).toBeInstanceOf(TooManyLoginAttempts);
      expect(pastCap?.refusal.headers['retry-after']).toBe('3599');
      // A known address is not past the cap at all.
      await l.markKnown('p@x.io', '203.0.113.2');
      expect(await l.takeAttempt('p@x.io', '203.0.113.2', { pastCap: 'check' })).toBeUndefined();
    });

    it("spends the pair's budget past the cap: each address still waits its growing delays", async () => {
      const l = limiter();
      await spendCap(l, 'q@x.io');
      for (let i = 0; i < 3; i++) expect(await l.takeAttempt('q@x.io', '203.0.113.5', { pastCap: 'check' })).toBeDefined();
      expect(await refusal(l.takeAttempt('q@x.io', '203.0.113.5', { pastCap: 'check' }))).toBe(2);
      jest.advanceTimersByTime(2000);
      expect(await l.takeAttempt('q@x.io', '203.0.113.5', { pastCap: 'check' })).toBeDefined();
      expect(await refusal(l.takeAttempt('q@x.io', '203.0.113.5', { pastCap: 'check' }))).toBe(4);
    });

    it('lets an unlock make the address known and forget its failures', async () => {
      const l = limiter();
      await spendCap(l, 'r@x.io');
      for (let i = 0; i < 3; i++) await l.takeAttempt('r@x.io', '203.0.113.7', { pastCap: 'check' });
      expect(await refusal(l.takeAttempt('r@x.io', '203.0.113.7', { pastCap: 'check' }))).toBe(2);
      await l.markKnown('r@x.io', '203.0.113.7');
      expect(await l.takeAttempt('r@x.io', '203.0.113.7', { pastCap: 'check' })).toBeUndefined();
      expect(await refusal(l.takeAttempt('r@x.io', '203.0.113.8'))).toBeGreaterThan(0);
    });

    it('allows one unlock message per (account, address) per interval', async () => {
      const l = limiter();
      expect(await l.takeUnlockMessage('s@x.io', '203.0.113.9')).toBe(true);
      expect(await l.takeUnlockMessage('s@x.io', '203.0.113.9')).toBe(false);
      expect(await l.takeUnlockMessage('s@x.io', '203.0.113.10')).toBe(true);
      jest.advanceTimersByTime(UNLOCK_MESSAGE_INTERVAL_SECONDS * 1000);
      expect(await l.takeUnlockMessage('s@x.io', '203.0.113.9')).toBe(true);
    });
  });
});
