import { jest } from '@jest/globals';
import { RedisConnection } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { ClientAuthLimiter, TooManyClientAuthAttempts } from './client-auth-limiter.js';

const settings = { clientMaxFailures: 3, clientMaxFailuresPerAddress: 5, clientFailureWindowSeconds: 300 };

/** The limiter in memory mode (no Redis client): rate-limiter-flexible's memory store, on Jest's fake clock. */
function limiter(): ClientAuthLimiter {
  return new ClientAuthLimiter(new RedisConnection({ kind: 'memory' }, 'auth'), { auth: settings } as unknown as AuthConfig);
}

/** The Retry-After of the refusal, 0 when allowed. */
async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TooManyClientAuthAttempts) return Number(e.headers['retry-after']);
    throw e;
  }
  return 0;
}

describe('ClientAuthLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('refuses every client from an address that spent its failures, until the window ends', async () => {
    const l = limiter();
    for (let i = 0; i < 5; i++) {
      expect(await refusal(l.check(`c${i}`, '192.0.2.1', '192.0.2.1'))).toBe(0);
      await l.recordFailure(`c${i}`, '192.0.2.1');
    }
    expect(await refusal(l.check('another', '192.0.2.1', '192.0.2.1'))).toBe(300);
    expect(await refusal(l.check(undefined, '192.0.2.1', '192.0.2.1'))).toBe(300);
    expect(await refusal(l.check('another', '192.0.2.2', '192.0.2.2'))).toBe(0);
    jest.advanceTimersByTime(300_001);
    expect(await refusal(l.check('another', '192.0.2.1', '192.0.2.1'))).toBe(0);
  });

  it("holds a client's unknown addresses once it took its failures, never an address it authenticated from", async () => {
    const l = limiter();
    await l.recordSuccess('orders', '192.0.2.10');
    for (let i = 0; i < 3; i++) await l.recordFailure('orders', `198.51.100.${i}`);
    expect(await refusal(l.check('orders', '198.51.100.99', '198.51.100.99'))).toBe(300);
    expect(await refusal(l.check('orders', '192.0.2.10', '192.0.2.10'))).toBe(0);
    expect(await refusal(l.check('billing', '198.51.100.99', '198.51.100.99'))).toBe(0);
  });

  it("does not give back failures on a success (the owner can't reopen a budget an attacker spends)", async () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) await l.recordFailure('orders', `198.51.100.${i}`);
    await l.recordSuccess('orders', '192.0.2.10');
    expect(await refusal(l.check('orders', '198.51.100.50', '198.51.100.50'))).toBe(300);
  });

  it("never holds a client at a connection peer it authenticated from, whichever address it forwards (the gateway's exchanges for users at an address a guesser shares)", async () => {
    const l = limiter();
    const gatewayPeer = '10.0.0.5';
    await l.recordSuccess('gateway', gatewayPeer);
    // A guesser at the user's address spends that address's budget and the gateway client's.
    for (let i = 0; i < 5; i++) await l.recordFailure('gateway', '203.0.113.7');
    expect(await refusal(l.check('gateway', '203.0.113.7', '203.0.113.7'))).toBe(300); // the guesser, connecting itself
    expect(await refusal(l.check('gateway', '203.0.113.7', gatewayPeer))).toBe(0); // the gateway exchanging for that user
    expect(await refusal(l.check('orders', '203.0.113.7', gatewayPeer))).toBe(300); // another client through that peer: held
  });

  it('a known peer stays known for a day, then a spent budget holds it again', async () => {
    const l = limiter();
    await l.recordSuccess('orders', '192.0.2.10');
    for (let i = 0; i < 5; i++) await l.recordFailure('orders', '192.0.2.10');
    expect(await refusal(l.check('orders', '192.0.2.10', '192.0.2.10'))).toBe(0);
    jest.advanceTimersByTime(86_400_001); // a day later, unknown again
    for (let i = 0; i < 5; i++) await l.recordFailure('orders', '192.0.2.10');
    expect(await refusal(l.check('orders', '192.0.2.10', '192.0.2.10'))).toBe(300);
  });

  it('counts an IPv6 client by its /64', async () => {
    const l = limiter();
    for (let i = 0; i < 5; i++) await l.recordFailure(undefined, `2001:db8:1:2::${i + 1}`);
    expect(await refusal(l.check('orders', '2001:db8:1:2:ffff::1', '2001:db8:1:2:ffff::1'))).toBe(300);
  });
});
