import {
  generateSigningKey,
  jwksOf,
  nonCanonicalVariants,
  withUrlSafeSignature,
  accessClaims,
  b64url,
  signHs256,
  signRaw,
  signToken,
  unsignedToken,
} from '@authmesh/testing';
import { FakeJwksFetcher } from '../../test/support/fake-jwks-fetcher.js';
import type { AccessTokenClaims } from './claims.js';
import {
  KeysUnavailableError,
  TokenBadAlgorithmError,
  TokenBadSignatureError,
  TokenExpiredError,
  TokenMalformedError,
  TokenMissingError,
  TokenNotYetValidError,
  TokenRevokedError,
  TokenTooLargeError,
  TokenUnknownKeyError,
  TokenWrongAudienceError,
  TokenWrongIssuerError,
  TokenWrongTypeError,
  type TokenVerificationError,
} from './errors.js';
import { JwksCache } from './jwks/jwks-cache.js';
import type { RevocationChecker, SigningKeyEvent } from './revocation.js';
import { TokenVerifier, type TokenVerifierOptions } from './token-verifier.js';

const ISSUER = 'https://auth.test';
const T0 = 1_800_000_000; // seconds
const key = generateSigningKey('k1');
const attacker = generateSigningKey('k1'); // same kid, different key
const otherKey = generateSigningKey('k-unpublished');

function setup(overrides: Partial<TokenVerifierOptions> = {}) {
  const clock = { ms: T0 * 1000 };
  const fake = new FakeJwksFetcher({ kind: 'document', document: jwksOf(key), maxAgeSeconds: 300 });
  const jwks = new JwksCache({ jwksUri: `${ISSUER}/.well-known/jwks.json`, fetcher: fake.fetcher, now: () => clock.ms });
  const verifier = new TokenVerifier({ issuer: ISSUER, audience: 'orders', keys: jwks, now: () => clock.ms, ...overrides });
  return { clock, fake, jwks, verifier };
}

const claims = (overrides: Record<string, unknown> = {}) => accessClaims(ISSUER, 'orders', T0, overrides);

async function rejection(promise: Promise<unknown>): Promise<TokenVerificationError> {
  try {
    await promise;
  } catch (e) {
    return e as TokenVerificationError;
  }
  throw new Error('expected a rejection');
}

describe('TokenVerifier', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(async () => {
    ctx = setup();
    await ctx.jwks.refresh('startup');
  });

  it('accepts a token auth would issue and derives the principal', async () => {
    const c = claims({ scope: 'orders:read  orders:write' });
    const { principal, claims: verified, kid } = await ctx.verifier.verify(signToken(key, c));
    expect(kid).toBe('k1');
    expect(verified.jti).toBe(c.jti);
    expect(principal).toEqual({
      sub: 'user-1',
      clientId: 'web-app',
      scopes: ['orders:read', 'orders:write'],
      audience: ['orders'],
      tokenId: c.jti,
      expiresAt: new Date((T0 + 300) * 1000).toISOString().replace('.000Z', 'Z'),
      isService: false,
    });
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('builds the principal once per verified token', async () => {
    const token = signToken(key, claims());
    const first = await ctx.verifier.verify(token);
    expect((await ctx.verifier.verify(token)).principal).toBe(first.principal);
    expect(JSON.parse(JSON.stringify(first))).toMatchObject({ kid: 'k1', principal: { sub: 'user-1' } });
  });

  it('marks a client-credentials token (sub === client_id) as a service', async () => {
    const { principal } = await ctx.verifier.verify(
      signToken(key, claims({ sub: 'orders-svc', client_id: 'orders-svc', aud: ['profiles', 'orders'] })),
    );
    expect(principal.isService).toBe(true);
    expect(principal.audience).toEqual(['profiles', 'orders']);
  });

  it('accepts typ application/at+jwt in any case (RFC 9068 §4)', async () => {
    await expect(ctx.verifier.verify(signToken(key, claims(), { typ: 'Application/AT+JWT' }))).resolves.toBeDefined();
    await expect(ctx.verifier.verify(signToken(key, claims(), { typ: 'AT+JWT' }))).resolves.toBeDefined();
  });

  it.each([
    ['rejects a missing token', undefined, TokenMissingError],
    ['rejects an empty token', '', TokenMissingError],
  ])('%s', async (_name, token, type) => {
    expect(await rejection(ctx.verifier.verify(token))).toBeInstanceOf(type);
  });

  it('rejects a token over the size cap before parsing it', async () => {
    const e = await rejection(ctx.verifier.verify('x'.repeat(8193)));
    expect(e).toBeInstanceOf(TokenTooLargeError);
    expect(e.code).toBe('token_too_large');
  });

  it('honours a configured size cap', async () => {
    const small = setup({ maxTokenBytes: 100 });
    expect((await rejection(small.verifier.verify(signToken(key, claims())))).code).toBe('token_too_large');
  });

  it('rejects a token whose alg is none', async () => {
    const e = await rejection(ctx.verifier.verify(unsignedToken(claims(), { kid: 'k1' })));
    expect(e).toBeInstanceOf(TokenBadAlgorithmError);
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
    expect(await rejection(ctx.verifier.verify(signHs256(claims(), { kid: 'k1' }, pem)))).toBeInstanceOf(TokenBadAlgorithmError);
  });

  it.each(['RS512', 'PS256', 'ES256', 'rs256', undefined])('rejects alg %s even when the signature is RSA', async (alg) => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims(), { alg })))).toBeInstanceOf(TokenBadAlgorithmError);
  });

  it('rejects a token without kid', async () => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims(), { kid: undefined })))).toBeInstanceOf(TokenUnknownKeyError);
  });

  it('rejects an unknown kid after one refetch', async () => {
    ctx.clock.ms += 31_000;
    const before = ctx.fake.calls;
    expect(await rejection(ctx.verifier.verify(signToken(otherKey, claims())))).toBeInstanceOf(TokenUnknownKeyError);
    expect(ctx.fake.calls).toBe(before + 1);
  });

  it.each([
    ['jwk', { jwk: attacker.jwk }],
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }],
  ])('never uses a key from the %s header', async (_name, header) => {
    // Signed by the attacker's key under a kid we know: verified against ours, so it fails.
    expect(await rejection(ctx.verifier.verify(signToken(attacker, claims(), header)))).toBeInstanceOf(TokenBadSignatureError);
  });

  it('rejects a non-empty crit', async () => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims(), { crit: ['exp'], exp: 1 })))).toBeInstanceOf(TokenMalformedError);
  });

  it('accepts an empty crit', async () => {
    await expect(ctx.verifier.verify(signToken(key, claims(), { crit: [] }))).resolves.toBeDefined();
  });

  it.each(['JWT', 'jwt', 'id_token+jwt', undefined, 7])('rejects typ %s', async (typ) => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims(), { typ })))).toBeInstanceOf(TokenWrongTypeError);
  });

  it.each(['https://auth.test/', 'https://AUTH.test', 'https://evil.test', undefined])('rejects iss %s (exact match)', async (iss) => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ iss }))))).toBeInstanceOf(TokenWrongIssuerError);
  });

  it.each([['profiles'], [['profiles', 'gateway']], [[]], [undefined], [['orders', 7]], ['Orders']])('rejects aud %j', async (aud) => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ aud }))))).toBeInstanceOf(TokenWrongAudienceError);
  });

  it('accepts aud as an array containing the audience', async () => {
    await expect(ctx.verifier.verify(signToken(key, claims({ aud: ['profiles', 'orders'] })))).resolves.toBeDefined();
  });

  it('rejects a token expired beyond the clock tolerance', async () => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ exp: T0 - 31 }))))).toBeInstanceOf(TokenExpiredError);
  });

  it('accepts a token expired within the clock tolerance', async () => {
    await expect(ctx.verifier.verify(signToken(key, claims({ exp: T0 - 29 })))).resolves.toBeDefined();
  });

  it('rejects nbf in the future beyond the clock tolerance', async () => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ nbf: T0 + 31 }))))).toBeInstanceOf(TokenNotYetValidError);
    await expect(ctx.verifier.verify(signToken(key, claims({ nbf: T0 + 29 })))).resolves.toBeDefined();
  });

  it('rejects iat in the future beyond the clock tolerance', async () => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ iat: T0 + 31 }))))).toBeInstanceOf(TokenNotYetValidError);
  });

  it.each(['sub', 'client_id', 'jti', 'exp', 'iat'])('rejects a token without %s as malformed', async (claim) => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ [claim]: undefined }))))).toBeInstanceOf(TokenMalformedError);
  });

  it.each([-1, 253_402_300_800, 1e300])('rejects exp %d outside NumericDate years 1970-9999 as malformed', async (exp) => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ exp }))))).toBeInstanceOf(TokenMalformedError);
  });

  it('rejects a claim of the wrong type as malformed', async () => {
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ exp: String(T0 + 300) }))))).toBeInstanceOf(TokenMalformedError);
    expect(await rejection(ctx.verifier.verify(signToken(key, claims({ scope: ['a'] }))))).toBeInstanceOf(TokenMalformedError);
  });

  it('rejects a signed payload that is not JSON as malformed', async () => {
    const token = signRaw(key, b64url({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }), b64url('not json'));
    expect(await rejection(ctx.verifier.verify(token))).toBeInstanceOf(TokenMalformedError);
  });

  it.each([
    ['standard base64 characters in the payload', (t: string) => t.replace('.', '.+/')],
    ['a space in the signature', (t: string) => `${t.slice(0, -10)} ${t.slice(-9)}`],
    ['a header that is not JSON', (t: string) => `${b64url('{"alg":"RS256",')}${t.slice(t.indexOf('.'))}`],
    ['a header that is a JSON array', (t: string) => `${b64url(['RS256'])}${t.slice(t.indexOf('.'))}`],
  ])('rejects a token with %s as malformed', async (_name, mangle) => {
    expect(await rejection(ctx.verifier.verify(mangle(signToken(key, claims()))))).toBeInstanceOf(TokenMalformedError);
  });

  it('rejects a tampered payload as a bad signature', async () => {
    const [h, , s] = signToken(key, claims()).split('.');
    const forged = `${h}.${b64url(claims({ sub: 'admin' }))}.${s}`;
    expect(await rejection(ctx.verifier.verify(forged))).toBeInstanceOf(TokenBadSignatureError);
  });

  it('rejects a signature made with RSA-PSS under an RS256 header', async () => {
    const token = signRaw(key, b64url({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' }), b64url(claims()), 'RSA-SHA256', 6);
    expect(await rejection(ctx.verifier.verify(token))).toBeInstanceOf(TokenBadSignatureError);
  });

  it('rejects a truncated signature without calling into RSA', async () => {
    const token = signToken(key, claims());
    // Four characters cut from the middle: still canonical base64url (the last character is kept), too short for the key.
    expect(await rejection(ctx.verifier.verify(`${token.slice(0, -6)}${token.slice(-2)}`))).toBeInstanceOf(TokenBadSignatureError);
  });

  describe('non-canonical signature spellings (RFC 7515 §2)', () => {
    const token = withUrlSafeSignature(() => signToken(key, claims()));

    it.each(nonCanonicalVariants(token))('refuses %s as malformed, though it decodes to the valid signature', async (_name, variant) => {
      expect(await rejection(ctx.verifier.verify(variant))).toBeInstanceOf(TokenMalformedError);
    });

    it('accepts the canonical spelling', async () => {
      await expect(ctx.verifier.verify(token)).resolves.toMatchObject({ kid: 'k1' });
    });

    it('refuses a variant even after the canonical token was cached', async () => {
      await ctx.verifier.verify(token);
      for (const [, variant] of nonCanonicalVariants(token)) {
        expect(await rejection(ctx.verifier.verify(variant))).toBeInstanceOf(TokenMalformedError);
      }
    });
  });

  describe('signing-key events from the revocation feed', () => {
    function withKeyEvents() {
      let emit!: (event: SigningKeyEvent) => void;
      const revocation: RevocationChecker = { check: () => undefined, onSigningKeyEvent: (listener) => (emit = listener) };
      const calls: string[] = [];
      const keys = {
        getKey: () => undefined,
        resolveKey: () => Promise.reject(new TokenUnknownKeyError('no')),
        revokeKey: (kid: string) => calls.push(`revoke ${kid}`),
        refreshNow: () => calls.push('refresh'),
      };
      new TokenVerifier({ issuer: ISSUER, audience: 'orders', keys, revocation });
      return { emit: (e: SigningKeyEvent) => emit(e), calls };
    }

    it('passes a revoked kid to the key source, and a key-set change only when it is our issuer’s', () => {
      const { emit, calls } = withKeyEvents();
      emit({ type: 'revoked', kid: 'k9' });
      emit({ type: 'changed', issuer: 'https://someone-else.test' });
      emit({ type: 'changed', issuer: ISSUER });
      expect(calls).toEqual(['revoke k9', 'refresh']);
    });

    it('refuses a token signed by a revoked key as token_revoked, without a JWKS fetch', async () => {
      const token = signToken(key, claims());
      await ctx.verifier.verify(token);
      ctx.jwks.revokeKey('k1');
      const calls = ctx.fake.calls;
      expect((await rejection(ctx.verifier.verify(token))).code).toBe(TokenRevokedError.code);
      await new Promise((r) => setImmediate(r));
      expect(ctx.fake.calls).toBeLessThanOrEqual(calls + 1); // at most the one refetch revokeKey starts
    });
  });

  describe('verified-token cache', () => {
    it('verifies a token cryptographically once and serves it from the cache after', async () => {
      const token = signToken(key, claims());
      const first = await ctx.verifier.verify(token);
      const second = await ctx.verifier.verify(token);
      expect(second).toBe(first);
      expect(ctx.verifier.stats).toEqual({ cacheMisses: 1, cacheHits: 1 });
    });

    it('does not serve a cached token past its exp + tolerance', async () => {
      const token = signToken(key, claims({ exp: T0 + 60 }));
      await ctx.verifier.verify(token);
      ctx.clock.ms += 89_000;
      await expect(ctx.verifier.verify(token)).resolves.toBeDefined();
      ctx.clock.ms += 2_000;
      expect(await rejection(ctx.verifier.verify(token))).toBeInstanceOf(TokenExpiredError);
    });

    it('checks revocation on every request, cached or not', async () => {
      const seen: string[] = [];
      const revoked = new Set<string>();
      const revocation: RevocationChecker = {
        check(c: AccessTokenClaims) {
          seen.push(c.jti);
          if (revoked.has(c.jti)) throw new TokenRevokedError(`jti ${c.jti} revoked`);
        },
      };
      const r = setup({ revocation });
      await r.jwks.refresh('startup');
      const c = claims();
      const token = signToken(key, c);
      await r.verifier.verify(token);
      await r.verifier.verify(token);
      revoked.add(c.jti as string);
      const e = await rejection(r.verifier.verify(token));
      expect(e).toBeInstanceOf(TokenRevokedError);
      expect(e.code).toBe('token_revoked');
      expect(seen).toHaveLength(3);
    });

    it('awaits an asynchronous revocation check', async () => {
      const r = setup({ revocation: { check: async () => Promise.reject(new TokenRevokedError('sub revoked since iat')) } });
      await r.jwks.refresh('startup');
      expect(await rejection(r.verifier.verify(signToken(key, claims())))).toBeInstanceOf(TokenRevokedError);
    });

    it('forgets tokens signed by a key that leaves the JWKS', async () => {
      const token = signToken(key, claims());
      await ctx.verifier.verify(token);
      ctx.fake.answer = { kind: 'document', document: jwksOf(otherKey) };
      await ctx.jwks.invalidate('k1');
      expect(await rejection(ctx.verifier.verify(token))).toBeInstanceOf(TokenUnknownKeyError);
    });

    it('can be disabled', async () => {
      const r = setup({ verifiedCacheMaxEntries: 0 });
      await r.jwks.refresh('startup');
      const token = signToken(key, claims());
      await r.verifier.verify(token);
      await r.verifier.verify(token);
      expect(r.verifier.stats).toEqual({ cacheMisses: 2, cacheHits: 0 });
    });
  });

  it('answers keys_unavailable when no JWKS could ever be loaded', async () => {
    const r = setup();
    r.fake.answer = { kind: 'network_error' };
    expect(await rejection(r.verifier.verify(signToken(key, claims())))).toBeInstanceOf(KeysUnavailableError);
  });
});
