import { jest } from '@jest/globals';
import { FakeJwksFetcher } from '../../../test/support/fake-jwks-fetcher.js';
import { generateSigningKey, jwksOf } from '@authmesh/testing';
import { KeysUnavailableError, TokenRevokedError, TokenUnknownKeyError } from '../errors.js';
import { JwksCache, type JwksCacheOptions, type JwksFetchResult } from './jwks-cache.js';

const k1 = generateSigningKey('k1');
const k2 = generateSigningKey('k2');
const k3 = generateSigningKey('k3');

function setup(options: Partial<JwksCacheOptions> = {}) {
  const clock = { ms: 1_000_000 };
  const fake = new FakeJwksFetcher({ kind: 'document', document: jwksOf(k1), maxAgeSeconds: 60 });
  const results: JwksFetchResult[] = [];
  const warnings: string[] = [];
  const jwks = new JwksCache({
    jwksUri: 'https://auth.test/.well-known/jwks.json',
    fetcher: fake.fetcher,
    now: () => clock.ms,
    logger: { warn: (m) => warnings.push(m) },
    ...options,
  });
  jwks.onFetch((r) => results.push(r));
  return { clock, fake, jwks, results, warnings };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('JwksCache', () => {
  it('fetches the JWKS at start and serves its keys', async () => {
    const { jwks, fake, clock } = setup();
    expect(await jwks.start()).toBe('updated');
    jwks.stop();
    expect(fake.calls).toBe(1);
    expect(jwks.getKey('k1', clock.ms)?.modulusBytes).toBe(256);
    expect(jwks.status()).toMatchObject({ usable: true, kids: ['k1'], ageSeconds: 0, lastResult: 'updated', consecutiveFailures: 0 });
  });

  it('revalidates with If-None-Match and counts a 304 as a good fetch', async () => {
    const { jwks, fake, clock } = setup();
    await jwks.refresh('startup');
    clock.ms += 60_000;
    expect(await jwks.refresh('scheduled')).toBe('not_modified');
    expect(fake.sentEtags[0]).toBeUndefined();
    expect(fake.sentEtags[1]).toMatch(/^"/);
    expect(jwks.status().ageSeconds).toBe(0);
    expect(jwks.getKey('k1', clock.ms)).toBeDefined();
  });

  it('picks up a new key on refresh and drops a removed one', async () => {
    const { jwks, fake, clock } = setup();
    const removed: string[][] = [];
    jwks.onKeysRemoved((kids) => removed.push([...kids]));
    await jwks.refresh('startup');
    fake.answer = { kind: 'document', document: jwksOf(k2) };
    await jwks.refresh('scheduled');
    expect(jwks.getKey('k2', clock.ms)).toBeDefined();
    expect(jwks.getKey('k1', clock.ms)).toBeUndefined();
    expect(removed).toEqual([['k1']]);
  });

  describe('unknown kid', () => {
    it('refetches once and finds a key published since the last fetch', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      clock.ms += 30_000;
      fake.answer = { kind: 'document', document: jwksOf(k1, k2) };
      expect((await jwks.resolveKey('k2')).kid).toBe('k2');
      expect(fake.calls).toBe(2);
    });

    it('shares one in-flight fetch among 1,000 concurrent unknown kids', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      clock.ms += 30_000;
      let open!: () => void;
      fake.gate = new Promise((r) => (open = r));
      const pending = Array.from({ length: 1000 }, (_, i) => codeOf(jwks.resolveKey(`random-${i}`)));
      open();
      const codes = await Promise.all(pending);
      expect(fake.calls).toBe(2);
      expect(new Set(codes)).toEqual(new Set([TokenUnknownKeyError.code]));
    });

    it('refetches at most once per cooldown', async () => {
      const { jwks, fake, clock } = setup({ cooldownMs: 30_000 });
      await jwks.refresh('startup');
      for (let i = 0; i < 50; i++) {
        clock.ms += 1_000;
        await codeOf(jwks.resolveKey(`random-${i}`));
      }
      // 50 s: the startup fetch, then unknown-kid fetches at t+1 s and t+31 s.
      expect(fake.calls).toBe(3);
    });

    it('does not count a scheduled fetch against the unknown-kid cooldown (a rotate --now right after a refresh)', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      fake.answer = { kind: 'document', document: jwksOf(k1, k2) };
      clock.ms += 1_000;
      expect(await codeOf(jwks.resolveKey('k2'))).toBe('resolved');
      expect(fake.calls).toBe(2);
    });

    it('shares one cooldown among all unknown kids', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      expect(await codeOf(jwks.resolveKey('nope-1'))).toBe(TokenUnknownKeyError.code);
      clock.ms += 29_000;
      expect(await codeOf(jwks.resolveKey('nope-2'))).toBe(TokenUnknownKeyError.code);
      expect(fake.calls).toBe(2);
    });
  });

  describe('when the issuer is unreachable or answers garbage', () => {
    it.each([
      ['down', { kind: 'network_error' } as const, 'network_error'],
      ['answering 500', { kind: 'status', status: 500 } as const, 'http_error'],
      ['answering invalid JSON', { kind: 'body', body: '<html>' } as const, 'invalid_json'],
      ['answering JSON that is not a JWKS', { kind: 'body', body: '{"keys":"no"}' } as const, 'invalid_jwks'],
      [
        'answering a JWKS with no usable key',
        { kind: 'document', document: { keys: [{ kty: 'EC', kid: 'e' }] } } as const,
        'no_usable_keys',
      ],
    ])('keeps the last good keys while it is %s', async (_name, answer, result) => {
      const { jwks, fake, clock, warnings } = setup();
      await jwks.refresh('startup');
      fake.answer = answer;
      clock.ms += 60_000;
      expect(await jwks.refresh('scheduled')).toBe(result);
      expect(jwks.getKey('k1', clock.ms)).toBeDefined();
      expect(jwks.status()).toMatchObject({ usable: true, ageSeconds: 60, lastResult: result, consecutiveFailures: 1 });
      expect(warnings.join('\n')).toContain('keeping 1 cached key(s)');
    });

    it('answers keys_unavailable, not unknown_key, for a kid it cannot look up', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      fake.answer = { kind: 'network_error' };
      clock.ms += 30_000;
      expect(await codeOf(jwks.resolveKey('new-key'))).toBe(KeysUnavailableError.code);
      // Within the cooldown no new fetch is made, and the answer stays the same.
      expect(await codeOf(jwks.resolveKey('other-key'))).toBe(KeysUnavailableError.code);
      expect(fake.calls).toBe(2);
    });

    it('times out a fetch that does not answer', async () => {
      const { jwks, fake } = setup({ fetchTimeoutMs: 20 });
      fake.answer = { kind: 'hang' };
      expect(await jwks.refresh('startup')).toBe('timeout');
      expect(jwks.status().lastError).toContain('20 ms');
    });

    it('stops using keys older than the staleness bound', async () => {
      const { jwks, fake, clock } = setup({ maxStalenessMs: 3600_000 });
      await jwks.refresh('startup');
      fake.answer = { kind: 'network_error' };
      clock.ms += 3600_000;
      expect(jwks.getKey('k1', clock.ms)).toBeDefined();
      clock.ms += 1;
      expect(jwks.getKey('k1', clock.ms)).toBeUndefined();
      expect(jwks.status().usable).toBe(false);
      expect(await codeOf(jwks.resolveKey('k1'))).toBe(KeysUnavailableError.code);
    });

    it('is not usable before the first good fetch', async () => {
      const { jwks, fake } = setup();
      fake.answer = { kind: 'status', status: 503 };
      await jwks.refresh('startup');
      expect(jwks.status()).toMatchObject({ usable: false, lastSuccessAt: undefined, ageSeconds: Number.POSITIVE_INFINITY });
      expect(await codeOf(jwks.resolveKey('k1'))).toBe(KeysUnavailableError.code);
    });

    it('retries with backoff after a failed start and becomes usable when the issuer is back', async () => {
      const { jwks, fake } = setup({ retryInitialDelayMs: 10, cooldownMs: 20 });
      fake.answer = { kind: 'network_error' };
      await jwks.start();
      fake.answer = { kind: 'document', document: jwksOf(k1) };
      const deadline = Date.now() + 2000;
      while (!jwks.status().usable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      jwks.stop();
      expect(jwks.status().usable).toBe(true);
      expect(fake.calls).toBeGreaterThanOrEqual(2);
    });
  });

  describe('revokeKey (emergency key revocation announced by auth)', () => {
    it('drops the key now, refuses it as revoked without fetching, and ignores it in a stale JWKS', async () => {
      const { jwks, fake, clock } = setup();
      const removed: string[][] = [];
      jwks.onKeysRemoved((kids) => removed.push([...kids]));
      await jwks.refresh('startup');
      fake.answer = { kind: 'document', document: jwksOf(k1, k2) }; // an auth instance that has not reloaded yet
      jwks.revokeKey('k1');
      expect(jwks.getKey('k1', clock.ms)).toBeUndefined();
      expect(removed).toEqual([['k1']]);
      await new Promise((r) => setImmediate(r));
      await jwks.refresh('scheduled');
      expect(jwks.getKey('k1', clock.ms)).toBeUndefined();
      expect(jwks.getKey('k2', clock.ms)).toBeDefined();
      const calls = fake.calls;
      expect(await codeOf(jwks.resolveKey('k1'))).toBe(TokenRevokedError.code);
      expect(fake.calls).toBe(calls);
    });
  });

  describe('refreshNow (rotation announced by auth)', () => {
    it('refetches at once, ignoring the cooldown', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      await codeOf(jwks.resolveKey('nope')); // uses the cooldown
      fake.answer = { kind: 'document', document: jwksOf(k1, k2) };
      jwks.refreshNow();
      await new Promise((r) => setImmediate(r));
      await jwks.refresh('scheduled');
      expect(jwks.getKey('k2', clock.ms)).toBeDefined();
    });
  });

  describe('refreshNow answered by an auth replica that has not reloaded yet (topology: auth ×2 behind a round-robin)', () => {
    // Real timers would make these tests as slow as the backoff; the fake clock drives both the
    // retry timers and the cache's `now`.
    beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
    afterEach(() => jest.useRealTimers());
    const fakeTimeSetup = (options: Partial<JwksCacheOptions> = {}) => setup({ now: () => Date.now(), ...options });
    const oldSet = { kind: 'document', document: jwksOf(k1), maxAgeSeconds: 60 } as const;
    const newSet = { kind: 'document', document: jwksOf(k1, k2), maxAgeSeconds: 60 } as const;

    it('retries a 304 after 100 ms and learns the new key without an unknown-kid fetch', async () => {
      const { jwks, fake, results } = fakeTimeSetup();
      const reasons: string[] = [];
      jwks.onFetch((_r, reason) => reasons.push(reason));
      await jwks.start();
      fake.answer = newSet;
      fake.queue.push(oldSet); // the lagging replica answers first: 304 to our ETag
      jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(0);
      expect(results.at(-1)).toBe('not_modified');
      expect(jwks.getKey('k2', Date.now())).toBeUndefined();
      await jest.advanceTimersByTimeAsync(99);
      expect(fake.calls).toBe(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(jwks.getKey('k2', Date.now())).toBeDefined();
      expect(reasons).toEqual(['startup', 'announcement', 'announcement']);
      // Done: the kid set changed, so no more retries.
      await jest.advanceTimersByTimeAsync(10_000);
      expect(fake.calls).toBe(3);
      jwks.stop();
    });

    it('treats a 200 carrying the same kids as unchanged too', async () => {
      const { jwks, fake } = fakeTimeSetup();
      await jwks.start();
      fake.answer = newSet;
      fake.queue.push({ ...oldSet, etag: '"other-replica-etag"' }, { ...oldSet, etag: '"other-replica-etag"' });
      jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(100 + 200);
      expect(fake.calls).toBe(4);
      expect(jwks.getKey('k2', Date.now())).toBeDefined();
      jwks.stop();
    });

    it('backs off 100 ms doubling and gives up after the 5 s budget when the kids never change', async () => {
      const info: string[] = [];
      const { jwks } = fakeTimeSetup({ logger: { warn: () => undefined, info: (m) => info.push(m) } });
      await jwks.start();
      // The fake answers at once, so a fetch ends when it starts.
      const callTimes: number[] = [];
      jwks.onFetch(() => callTimes.push(Date.now() - 1_000_000));
      jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(20_000);
      // Fetches at 0, 100, 300, 700, 1500, 3100 ms; the next (6300 ms) would be past the budget.
      expect(callTimes).toEqual([0, 100, 300, 700, 1500, 3100]);
      expect(info.join('\n')).toContain('still lists the same kids 6 fetch(es) after a key-set announcement');
      jwks.stop();
    });

    it('expects one change per announcement: two rotations in a row do not stop at the first', async () => {
      const { jwks, fake } = fakeTimeSetup();
      await jwks.start();
      fake.answer = { kind: 'document', document: jwksOf(k1, k2, k3), maxAgeSeconds: 60 };
      // The second announcement arrives while the first one's refetch is in flight; the first two
      // answers carry only the first change (k2), as a replica that has reloaded once would.
      fake.queue.push(newSet, newSet);
      let open!: () => void;
      fake.gate = new Promise((r) => (open = r));
      jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(0);
      expect(fake.calls).toBe(2);
      jwks.refreshNow();
      fake.gate = undefined;
      open();
      await jest.advanceTimersByTimeAsync(0);
      expect(jwks.getKey('k2', Date.now())).toBeDefined();
      await jest.advanceTimersByTimeAsync(100);
      expect(fake.calls).toBe(3);
      expect(jwks.getKey('k3', Date.now())).toBeUndefined();
      await jest.advanceTimersByTimeAsync(200);
      expect(fake.calls).toBe(4);
      expect(jwks.getKey('k3', Date.now())).toBeDefined();
      const calls = fake.calls;
      await jest.advanceTimersByTimeAsync(10_000);
      expect(fake.calls).toBe(calls);
      jwks.stop();
    });

    it('counts calls in one tick as one announcement (the gateway: one cache under a verifier per audience)', async () => {
      const { jwks, fake } = fakeTimeSetup();
      await jwks.start();
      fake.answer = newSet;
      fake.queue.push(oldSet);
      for (let i = 0; i < 3; i++) jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(100);
      expect(jwks.getKey('k2', Date.now())).toBeDefined();
      // The one change expected has arrived: no retries until the budget.
      await jest.advanceTimersByTimeAsync(10_000);
      expect(fake.calls).toBe(3);
      jwks.stop();
    });

    it('lets the next unknown kid fetch through the cooldown once after an announcement', async () => {
      const { jwks, fake } = fakeTimeSetup({ announcementRetryBudgetMs: 0 });
      await jwks.start();
      expect(await codeOf(jwks.resolveKey('nope'))).toBe(TokenUnknownKeyError.code); // starts the cooldown
      fake.answer = oldSet; // every announcement retry meets the lagging replica
      jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(1_000);
      expect(fake.calls).toBe(3);
      fake.answer = newSet;
      // 1 s into a 30 s cooldown: the token of the new key still gets its fetch.
      expect((await jwks.resolveKey('k2')).kid).toBe('k2');
      expect(fake.calls).toBe(4);
      jwks.stop();
    });

    it('still fetches at most once per cooldown for a flood of random kids, plus once per announcement', async () => {
      const { jwks, fake } = fakeTimeSetup({ cooldownMs: 30_000 });
      await jwks.start();
      const reasons: string[] = [];
      jwks.onFetch((_r, reason) => reasons.push(reason));
      for (let s = 1; s <= 50; s++) {
        await jest.advanceTimersByTimeAsync(1_000);
        if (s === 10) jwks.refreshNow(); // one announcement in the middle of the flood
        await Promise.all(Array.from({ length: 100 }, (_, i) => codeOf(jwks.resolveKey(`random-${s}-${i}`))));
      }
      jwks.stop();
      // Unknown-kid fetches: t+1 s (cooldown open), t+10 s (the announcement's one pass), and
      // t+40 s (the cooldown restarted by the pass): 3 in 50 s, where the cooldown alone allows 2.
      expect(reasons.filter((r) => r === 'unknown_kid')).toHaveLength(3);
      // The announcement's first refetch is the pass's fetch already in flight (single flight);
      // its 5 retries (100 ms … 1.6 s apart) found the same kids and it gave up after its budget.
      expect(reasons.filter((r) => r === 'announcement')).toHaveLength(5);
      expect(reasons.filter((r) => r === 'scheduled')).toHaveLength(0);
      expect(fake.calls).toBe(1 + 3 + 5);
    });

    it('stops retrying on stop()', async () => {
      const { jwks, fake } = fakeTimeSetup();
      await jwks.start();
      jwks.refreshNow();
      await jest.advanceTimersByTimeAsync(0);
      jwks.stop();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(fake.calls).toBe(2);
    });
  });

  describe('invalidate', () => {
    it('drops the kid at once and refetches, ignoring cooldown and ETag', async () => {
      const { jwks, fake, clock } = setup();
      await jwks.refresh('startup');
      fake.answer = { kind: 'document', document: jwksOf(k2) };
      const done = jwks.invalidate('k1');
      expect(jwks.getKey('k1', clock.ms)).toBeUndefined();
      expect(await done).toBe('updated');
      expect(fake.calls).toBe(2);
      expect(fake.sentEtags[1]).toBeUndefined();
    });

    it('fetches again after a fetch that was already in flight', async () => {
      const { jwks, fake } = setup();
      let open!: () => void;
      fake.gate = new Promise((r) => (open = r));
      const startup = jwks.refresh('startup');
      const invalidated = jwks.invalidate();
      open();
      await startup;
      fake.gate = undefined;
      await invalidated;
      expect(fake.calls).toBe(2);
    });
  });
});
