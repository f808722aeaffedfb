import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { TokenFetchError } from './errors.js';
import type { FetchedToken, TokenRequest } from './token-fetcher.js';
import { ClientCredentialsTokenSource, type ClientCredentialsTokenSourceOptions } from './token-source.js';

/** A token endpoint stand-in: each call is answered when the test says so. */
class FakeFetcher {
  readonly calls: TokenRequest[] = [];
  private readonly pending: { resolve: (t: FetchedToken) => void; reject: (e: unknown) => void }[] = [];
  /** Answer every call at once with these, in order (then `auto`). */
  script: (FetchedToken | Error)[] = [];
  auto = true;
  private issued = 0;

  readonly fetch = (req: TokenRequest): Promise<FetchedToken> => {
    this.calls.push(req);
    const next = this.script.shift();
    if (next instanceof Error) return Promise.reject(next);
    if (next) return Promise.resolve(next);
    if (this.auto) return Promise.resolve(this.token());
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };

  token(expiresInSeconds = 100): FetchedToken {
    return { accessToken: `token-${++this.issued}`, expiresInSeconds, tokenType: 'Bearer' };
  }

  answer(token: FetchedToken = this.token()): void {
    this.pending.shift()!.resolve(token);
  }
}

describe('ClientCredentialsTokenSource', () => {
  let clock: number;
  let fetcher: FakeFetcher;
  let sleeps: number[];
  const make = (overrides: Partial<ClientCredentialsTokenSourceOptions> = {}) =>
    new ClientCredentialsTokenSource({
      tokenUrl: 'http://auth.test/oauth/token',
      clientId: 'orders',
      clientSecret: 'secret',
      audience: 'profiles',
      fetcher: fetcher.fetch,
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...overrides,
    });
  const flush = () => new Promise((r) => setImmediate(r));

  beforeEach(() => {
    clock = 1_000_000;
    fetcher = new FakeFetcher();
    sleeps = [];
  });

  it('asks the token endpoint for the configured client and audience', async () => {
    const source = make({ scope: 'profiles:read' });
    await source.getToken();
    expect(fetcher.calls).toEqual([
      {
        tokenUrl: 'http://auth.test/oauth/token',
        clientId: 'orders',
        clientSecret: 'secret',
        audience: 'profiles',
        scope: 'profiles:read',
      },
    ]);
  });

  it('serves the cached token until 80 % of its lifetime', async () => {
    const source = make();
    expect(await source.getToken()).toBe('token-1');
    clock += 79_999; // lifetime 100 s
    expect(await source.getToken()).toBe('token-1');
    expect(fetcher.calls).toHaveLength(1);
  });

  it('refreshes at 80 % of the lifetime while still serving the valid token, then switches', async () => {
    const source = make();
    await source.getToken();
    fetcher.auto = false;
    clock += 80_000;
    expect(await source.getToken()).toBe('token-1'); // no waiting for auth
    expect(await source.getToken()).toBe('token-1');
    expect(fetcher.calls).toHaveLength(2); // one background refresh, shared
    fetcher.answer();
    await flush();
    expect(await source.getToken()).toBe('token-2');
    expect(fetcher.calls).toHaveLength(2);
  });

  it('counts the lifetime from when the token was asked for, not when it arrived', async () => {
    fetcher.auto = false;
    const source = make();
    const first = source.getToken();
    clock += 30_000; // a slow token endpoint
    fetcher.answer();
    expect(await first).toBe('token-1');
    clock += 50_000; // 80 s after asking
    fetcher.auto = true;
    await source.getToken();
    expect(fetcher.calls).toHaveLength(2);
  });

  it('makes callers wait for a new token once the old one is about to expire', async () => {
    const source = make();
    await source.getToken();
    clock += 96_000; // within the 5 s expiry margin
    expect(await source.getToken()).toBe('token-2');
  });

  it('shares one fetch between 100 concurrent callers (single flight)', async () => {
    fetcher.auto = false;
    const source = make();
    const all = Promise.all(Array.from({ length: 100 }, () => source.getToken()));
    await flush();
    expect(fetcher.calls).toHaveLength(1);
    fetcher.answer();
    expect(new Set(await all)).toEqual(new Set(['token-1']));
    expect(source.fetchCount).toBe(1);
  });

  it('retries a failed fetch with exponential backoff and jitter', async () => {
    fetcher.script = [new TokenFetchError('503', true), new Error('ECONNREFUSED'), new TokenFetchError('503', true)];
    const source = make({ retry: { attempts: 4, baseDelayMs: 200, maxDelayMs: 5000 } });
    expect(await source.getToken()).toBe('token-1');
    expect(fetcher.calls).toHaveLength(4);
    // Equal jitter with random() = 0.5: 3/4 of 200, 400, 800.
    expect(sleeps).toEqual([150, 300, 600]);
  });

  it('caps each backoff delay at maxDelayMs', async () => {
    fetcher.script = Array.from({ length: 5 }, () => new TokenFetchError('503', true));
    const source = make({ retry: { attempts: 6, baseDelayMs: 1000, maxDelayMs: 3000 }, random: () => 0.999999 });
    await source.getToken();
    expect(sleeps).toEqual([1000, 2000, 3000, 3000, 3000]);
  });

  it('gives up after the last attempt with the last error, and tries again on the next call', async () => {
    fetcher.script = [1, 2, 3].map(() => new TokenFetchError('token endpoint answered 503', true, { status: 503 }));
    const source = make({ retry: { attempts: 3 } });
    await expect(source.getToken()).rejects.toMatchObject({ code: 'token_fetch_failed', status: 503 });
    expect(fetcher.calls).toHaveLength(3);
    expect(await source.getToken()).toBe('token-1');
  });

  it('does not retry an answer another try cannot change (invalid_client)', async () => {
    fetcher.script = [new TokenFetchError('token endpoint answered 401 invalid_client', false, { status: 401 })];
    const source = make();
    await expect(source.getToken()).rejects.toMatchObject({ status: 401 });
    expect(fetcher.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('keeps serving the valid token when a background refresh fails, and reports it', async () => {
    const errors: unknown[] = [];
    const source = make({ retry: { attempts: 1 }, onBackgroundError: (e) => errors.push(e) });
    await source.getToken();
    clock += 85_000;
    fetcher.script = [new TokenFetchError('down', true)];
    expect(await source.getToken()).toBe('token-1');
    await flush();
    expect(errors).toHaveLength(1);
    expect(await source.getToken()).toBe('token-1'); // the next caller past 80 % tries again
    await flush();
    expect(await source.getToken()).toBe('token-2');
    expect(fetcher.calls).toHaveLength(3);
  });

  it('replaces a rejected token once, however many callers report it', async () => {
    const source = make();
    const rejected = await source.getToken();
    const replacements = await Promise.all([source.refresh(rejected), source.refresh(rejected), source.refresh(rejected)]);
    expect(replacements).toEqual(['token-2', 'token-2', 'token-2']);
    expect(await source.refresh(rejected)).toBe('token-2'); // already replaced: no new fetch
    expect(fetcher.calls).toHaveLength(2);
  });

  it('rejects a refresh fraction outside (0, 1)', () => {
    expect(() => make({ refreshAtFraction: 1 })).toThrow(RangeError);
  });

  describe('with a private key (private_key_jwt) instead of a secret', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = createLocalJWKSet({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'orders-1' }] });
    const keyed = (overrides: Partial<ClientCredentialsTokenSourceOptions> = {}) =>
      make({
        clientSecret: undefined,
        clientKey: { key: privateKey.export({ format: 'jwk' }), kid: 'orders-1' },
        issuer: 'http://auth.test',
        ...overrides,
      });

    it('sends a fresh assertion per token request, retries included: new jti, iss = sub = client id, aud = the issuer, exp 60 s ahead', async () => {
      clock = Date.now();
      fetcher.script = [new TokenFetchError('token endpoint answered 503', true, { status: 503 })];
      const source = keyed();
      await source.getToken();
      await source.refresh();
      expect(fetcher.calls).toHaveLength(3);
      const jtis = new Set<string>();
      for (const call of fetcher.calls) {
        expect(call.clientSecret).toBeUndefined();
        const { payload, protectedHeader } = await jwtVerify(call.clientAssertion!, jwks, {
          algorithms: ['ES256'],
          currentDate: new Date(clock),
        });
        expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'orders-1' });
        expect(payload).toMatchObject({ iss: 'orders', sub: 'orders', aud: 'http://auth.test' });
        expect(payload.exp! - payload.iat!).toBe(60);
        jtis.add(payload.jti!);
      }
      expect(jtis.size).toBe(3);
      expect(decodeJwt(fetcher.calls[0]!.clientAssertion!).iat).toBe(Math.floor(clock / 1000));
    });

    it('needs exactly one of clientSecret and clientKey, and the issuer with a key', () => {
      expect(() => keyed({ clientSecret: 'secret' })).toThrow(/exactly one of clientSecret and clientKey/);
      expect(() => make({ clientSecret: undefined })).toThrow(/exactly one of clientSecret and clientKey/);
      expect(() => keyed({ issuer: undefined })).toThrow(/needs issuer/);
      expect(() => keyed({ clientKey: { key: publicKey, kid: 'orders-1' } })).toThrow(/private key/);
    });
  });
});
