import { VerifiedAccessToken, type VerifiedToken } from './claims.js';
import { PURGE_INTERVAL_MS, VerifiedTokenCache } from './verified-token-cache.js';

const verified = (kid = 'k1'): VerifiedToken =>
  new VerifiedAccessToken({ iss: 'i', sub: 's', aud: ['a'], exp: 0, iat: 0, jti: 'j', scope: '' } as never, kid);

describe('VerifiedTokenCache', () => {
  it('sweeps expired tokens out when a token is stored a minute after the last sweep (a burst of short-lived tokens does not stay resident)', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(10_000, () => now);
    for (let i = 0; i < 500; i++) cache.set(`t${i}`, verified(), now + 30_000);
    expect(cache.size).toBe(500);

    now += 31_000; // every one of them has expired, nothing read them again
    cache.set('early', verified(), now + 30_000);
    expect(cache.size).toBe(501); // less than a minute since the cache began: no sweep yet

    now += PURGE_INTERVAL_MS;
    cache.set('late', verified(), now + 30_000);
    expect(cache.size).toBe(1);
    expect(cache.get('late')).toBeDefined();
  });

  it('keeps tokens that are still valid through a sweep', () => {
    // Not 0: lru-cache takes a start time of 0 for "no TTL".
    let now = 1_000_000;
    const cache = new VerifiedTokenCache(100, () => now);
    cache.set('long', verified(), now + 10 * PURGE_INTERVAL_MS);
    cache.set('short', verified(), now + 1000);
    now += 2 * PURGE_INTERVAL_MS;
    cache.purgeExpired();
    expect(cache.size).toBe(1);
    expect(cache.get('long')).toBeDefined();
  });

  it('does nothing when disabled (size 0)', () => {
    const cache = new VerifiedTokenCache(0, () => 0);
    cache.set('t', verified(), 1000);
    cache.purgeExpired();
    expect(cache.size).toBe(0);
  });
});
