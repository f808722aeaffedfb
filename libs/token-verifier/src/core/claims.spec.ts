import { generateSigningKey, jwksOf, accessClaims, signToken } from '@authmesh/testing';
import { FakeJwksFetcher } from '../../test/support/fake-jwks-fetcher.js';
import { type AccessTokenClaims, MAX_ACTOR_CHAIN, actorChainLength, isoInstant, parseActorClaim, toPrincipal } from './claims.js';
import { TokenMalformedError, type TokenVerificationError } from './errors.js';
import { JwksCache } from './jwks/jwks-cache.js';
import { TokenVerifier } from './token-verifier.js';

describe('isoInstant', () => {
  it.each([0, 1, 951_782_400, 1_800_000_000, 253_402_300_799, 1_700_000_000.9])(
    'formats %d like Date#toISOString without milliseconds',
    (s) => {
      expect(isoInstant(s)).toBe(new Date(Math.floor(s) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    },
  );
});

/** An `act` chain of `n` actors: actor-1 (current) … actor-n (first). */
const chain = (n: number): Record<string, unknown> => {
  let act: Record<string, unknown> | undefined;
  for (let i = n; i >= 1; i--) act = act === undefined ? { sub: `actor-${i}` } : { sub: `actor-${i}`, act };
  return act!;
};

describe('parseActorClaim (RFC 8693 §4.1 act)', () => {
  it('accepts a token without act', () => {
    expect(parseActorClaim(undefined)).toBeUndefined();
  });

  it('accepts an actor with a sub, nested actors and extra members, and freezes every level', () => {
    const act = { sub: 'gateway', iss: 'http://auth.test', act: { sub: 'upstream' } };
    expect(parseActorClaim(act)).toBe(act);
    expect(Object.isFrozen(act)).toBe(true);
    expect(Object.isFrozen(act.act)).toBe(true);
  });

  it(`accepts a chain of ${MAX_ACTOR_CHAIN} actors`, () => {
    expect(actorChainLength(parseActorClaim(chain(MAX_ACTOR_CHAIN)))).toBe(MAX_ACTOR_CHAIN);
  });

  it.each([
    ['a string', 'gateway'],
    ['null', null],
    ['an array', [{ sub: 'gateway' }]],
    ['an object without sub', { iss: 'x' }],
    ['an empty sub', { sub: '' }],
    ['a numeric sub', { sub: 42 }],
    ['a malformed nested act', { sub: 'gateway', act: 'upstream' }],
    ['a nested act without sub', { sub: 'gateway', act: {} }],
    ['a nested null act', { sub: 'gateway', act: null }],
    [`a chain longer than ${MAX_ACTOR_CHAIN}`, chain(MAX_ACTOR_CHAIN + 1)],
  ])('rejects %s as token_malformed', (_label, act) => {
    expect(() => parseActorClaim(act)).toThrow(TokenMalformedError);
  });
});

describe('toPrincipal', () => {
  const base = accessClaims('https://auth.test', 'orders', 1_800_000_000) as unknown as AccessTokenClaims;

  it('names the current actor (act.sub) of an exchanged token, not the prior ones', () => {
    const principal = toPrincipal({ ...base, client_id: 'gateway', act: { sub: 'gateway', act: { sub: 'upstream' } } });
    expect(principal).toMatchObject({ sub: 'user-1', clientId: 'gateway', actor: 'gateway', isService: false });
  });

  it('has no actor for a token that was not exchanged', () => {
    expect(toPrincipal(base)).not.toHaveProperty('actor');
  });
});

describe('TokenVerifier and the act claim', () => {
  const ISSUER = 'https://auth.test';
  const T0 = 1_800_000_000;
  const key = generateSigningKey('k1');

  async function verifier(): Promise<TokenVerifier> {
    const fake = new FakeJwksFetcher({ kind: 'document', document: jwksOf(key), maxAgeSeconds: 300 });
    const jwks = new JwksCache({ jwksUri: `${ISSUER}/.well-known/jwks.json`, fetcher: fake.fetcher, now: () => T0 * 1000 });
    await jwks.refresh('startup');
    return new TokenVerifier({ issuer: ISSUER, audience: 'orders', keys: jwks, now: () => T0 * 1000 });
  }

  it('derives the actor of a signed exchanged token', async () => {
    const token = signToken(key, accessClaims(ISSUER, ['orders'], T0, { client_id: 'gateway', act: { sub: 'gateway' } }));
    const { principal, claims } = await (await verifier()).verify(token);
    expect(principal.actor).toBe('gateway');
    expect(claims.act).toEqual({ sub: 'gateway' });
  });

  it.each([
    ['an act without sub', { iss: 'x' }],
    ['an act that is a string', 'gateway'],
    ['a nested act without sub', { sub: 'gateway', act: { client_id: 'x' } }],
  ])('rejects a correctly signed token with %s as token_malformed, every time', async (_label, act) => {
    const v = await verifier();
    const token = signToken(key, accessClaims(ISSUER, 'orders', T0, { act }));
    for (let i = 0; i < 2; i++) {
      const error = await v.verify(token).then(
        () => undefined,
        (e: unknown) => e as TokenVerificationError,
      );
      expect(error).toBeInstanceOf(TokenMalformedError);
      expect(error?.code).toBe('token_malformed');
    }
  });
});
