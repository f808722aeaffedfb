import { type CachedClientRecord, ClientRecordCache } from './client-record-cache.js';

const record = (over: Partial<CachedClientRecord> = {}): CachedClientRecord => ({
  clientId: 'orders',
  secretHash: '$argon2id$hash',
  tokenEndpointAuthMethod: 'client_secret_basic',
  redirectUris: [],
  postLogoutRedirectUris: [],
  firstParty: false,
  dpopBoundAccessTokens: false,
  jwks: null,
  scopes: ['profiles:read'],
  audiences: ['profiles'],
  grantTypes: ['client_credentials'],
  enabled: true,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  ...over,
});

/** A cache on a clock the test moves. */
function cacheAt(startMs: number, maxStaleMs = 300_000): { cache: ClientRecordCache; clock: { ms: number } } {
  const clock = { ms: startMs };
  return { cache: new ClientRecordCache({ maxStaleMs, now: () => clock.ms }), clock };
}

describe('ClientRecordCache', () => {
  it('hands out a record up to the staleness bound after the read that produced it started, then never', () => {
    const { cache, clock } = cacheAt(1_000_000);
    cache.remember(record(), cache.beginRead());
    clock.ms += 300_000;
    expect(cache.fresh('orders')?.record.scopes).toEqual(['profiles:read']);
    clock.ms += 1;
    expect(cache.fresh('orders')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is refreshed by every successful read', () => {
    const { cache, clock } = cacheAt(1_000_000);
    cache.remember(record(), cache.beginRead());
    clock.ms += 200_000;
    cache.remember(record({ scopes: ['profiles:read', 'profiles:write'] }), cache.beginRead());
    clock.ms += 200_000;
    expect(cache.fresh('orders')?.record.scopes).toEqual(['profiles:read', 'profiles:write']);
    expect(cache.fresh('orders')?.readAtMs).toBe(1_200_000);
  });

  it('keeps a copy: changing the row object later does not change the cached record', () => {
    const { cache } = cacheAt(1_000_000);
    const row = { ...record(), scopes: ['profiles:read'] };
    cache.remember(row, cache.beginRead());
    row.scopes.push('auth:admin');
    row.enabled = false;
    expect(cache.fresh('orders')?.record).toMatchObject({ scopes: ['profiles:read'], enabled: true });
  });

  it('drops a record when its client changes, and ignores a read that started before the change', () => {
    const { cache } = cacheAt(1_000_000);
    cache.remember(record(), cache.beginRead());
    const inFlight = cache.beginRead();
    // Same millisecond on purpose: reads and invalidations are ordered by a counter, not the clock.
    cache.invalidate('orders');
    expect(cache.fresh('orders')).toBeUndefined();
    // The read that began before the disable committed answers after the announcement: the old row.
    cache.remember(record({ enabled: true }), inFlight);
    expect(cache.fresh('orders')).toBeUndefined();
    cache.remember(record({ enabled: false }), cache.beginRead());
    expect(cache.fresh('orders')?.record.enabled).toBe(false);
  });

  it('keeps a record that says disabled through later invalidations: disabling is final', () => {
    const { cache } = cacheAt(1_000_000);
    cache.remember(record({ enabled: false }), cache.beginRead());
    cache.invalidate('orders');
    expect(cache.fresh('orders')?.record.enabled).toBe(false);
  });

  it('trusts no record read before a full read of the feed', () => {
    const { cache } = cacheAt(1_000_000);
    cache.remember(record(), cache.beginRead());
    cache.remember(record({ clientId: 'multi' }), cache.beginRead());
    const before = cache.beginRead();
    cache.invalidateAll();
    expect([cache.fresh('orders'), cache.fresh('multi')]).toEqual([undefined, undefined]);
    cache.remember(record(), before);
    expect(cache.fresh('orders')).toBeUndefined();
  });

  it('never lets an older read replace a newer one', () => {
    const { cache } = cacheAt(1_000_000);
    const older = cache.beginRead();
    cache.remember(record({ scopes: ['new'] }), cache.beginRead());
    cache.remember(record({ scopes: ['old'] }), older);
    expect(cache.fresh('orders')?.record.scopes).toEqual(['new']);
  });

  it('forgets a client a read found gone', () => {
    const { cache } = cacheAt(1_000_000);
    cache.remember(record(), cache.beginRead());
    cache.forget('orders');
    expect(cache.has('orders')).toBe(false);
  });

  it('keeps nothing with a bound of 0 (AUTH_CLIENT_CACHE_MAX_STALE_S=0)', () => {
    const { cache } = cacheAt(1_000_000, 0);
    cache.remember(record(), cache.beginRead());
    expect(cache.fresh('orders')).toBeUndefined();
  });
});
