import { accessClaims, generateSigningKey, jwksOf, signToken } from '@authmesh/testing';
import type { KeyObject } from 'node:crypto';
import { FakeJwksFetcher } from '../../test/support/fake-jwks-fetcher.js';
import { TokenRevokedError } from '../core/errors.js';
import { JwksCache } from '../core/jwks/jwks-cache.js';
import type { RevocationChecker, SigningKeyEvent } from '../core/revocation.js';
import { InvalidTokenHttpError } from '../nest/http-errors.js';
import { authmeshJwtStrategyOptions, authmeshSecretOrKeyProvider, authmeshValidate } from './passport-jwt.js';

const k1 = generateSigningKey('k1');
const k2 = generateSigningKey('k2');
const ISSUER = 'https://auth.test';
const claims = (overrides: Record<string, unknown> = {}) => accessClaims(ISSUER, 'orders', Math.floor(Date.now() / 1000), overrides);

function setup() {
  const clock = { ms: 1_000_000 };
  const fake = new FakeJwksFetcher({ kind: 'document', document: jwksOf(k1), maxAgeSeconds: 60 });
  const jwks = new JwksCache({
    jwksUri: `${ISSUER}/.well-known/jwks.json`,
    fetcher: fake.fetcher,
    now: () => clock.ms,
    logger: { warn: () => undefined },
  });
  const listeners: ((event: SigningKeyEvent) => void)[] = [];
  const revocation: RevocationChecker = { check: () => undefined, onSigningKeyEvent: (l) => void listeners.push(l) };
  const provider = authmeshSecretOrKeyProvider(jwks, { revocation, issuer: ISSUER, now: () => clock.ms });
  const keyFor = (token: string) =>
    new Promise<{ err: unknown; key: unknown }>((resolve) => provider(undefined, token, (err, key) => resolve({ err, key })));
  return { fake, jwks, listeners, keyFor };
}

describe('authmeshSecretOrKeyProvider', () => {
  it("hands passport-jwt the cached KeyObject of the header's kid, without a fetch", async () => {
    const { fake, jwks, keyFor } = setup();
    await jwks.refresh('startup');
    const { err, key } = await keyFor(signToken(k1, claims()));
    expect(err).toBeNull();
    expect((key as KeyObject).equals(k1.publicKey)).toBe(true);
    expect(fake.calls).toBe(1);
  });

  it('refetches once for concurrent tokens with a new kid (single flight)', async () => {
    const { fake, jwks, keyFor } = setup();
    await jwks.refresh('startup');
    fake.answer = { kind: 'document', document: jwksOf(k1, k2), maxAgeSeconds: 60 };
    const results = await Promise.all(Array.from({ length: 5 }, () => keyFor(signToken(k2, claims()))));
    expect(results.every((r) => r.err === null && (r.key as KeyObject).equals(k2.publicKey))).toBe(true);
    expect(fake.calls).toBe(2);
  });

  it('drops a key the issuer revoked, at once, even though the JWKS still lists it', async () => {
    const { jwks, listeners, keyFor } = setup();
    await jwks.refresh('startup');
    for (const l of listeners) l({ type: 'revoked', kid: 'k1' });
    const { err } = await keyFor(signToken(k1, claims()));
    expect(err).toBeInstanceOf(TokenRevokedError);
  });

  it('answers a token without kid with an error, not a key', async () => {
    const { jwks, keyFor } = setup();
    await jwks.refresh('startup');
    expect((await keyFor(signToken(k1, claims(), { kid: undefined }))).err).toMatchObject({ code: 'token_unknown_key' });
    expect((await keyFor('not-a-token')).err).toMatchObject({ code: 'token_malformed' });
  });
});

describe('authmeshValidate', () => {
  const revoked = new Set<string>();
  const validate = authmeshValidate({
    check: (c) => {
      if (revoked.has(c.jti)) throw new TokenRevokedError('revoked');
    },
  });

  it('refuses a DPoP-bound token (cnf), which passport-jwt can only have read as Bearer (RFC 9449 §7.2)', async () => {
    await expect(validate(claims({ cnf: { jkt: 'abc' } }))).rejects.toMatchObject({ status: 401, code: 'dpop_token_as_bearer' });
  });

  it('returns the principal of a complete RFC 9068 claims set', async () => {
    expect(await validate(claims({ sub: 'user-9', scope: 'a b' }))).toMatchObject({ sub: 'user-9', scopes: ['a', 'b'], isService: false });
  });

  it('refuses a revoked jti as the guard does: 401 token_revoked', async () => {
    const c = claims();
    revoked.add(c.jti as string);
    const err = await validate(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTokenHttpError);
    expect(err).toMatchObject({ status: 401, code: 'token_revoked' });
  });

  it.each(['jti', 'client_id', 'sub', 'iat'])('refuses claims without %s (jsonwebtoken does not require it)', async (name) => {
    await expect(validate(claims({ [name]: undefined }))).rejects.toMatchObject({ status: 401, code: 'token_malformed' });
  });
});

describe('authmeshJwtStrategyOptions', () => {
  it('pins RS256 and sets the exact issuer and the audience', () => {
    expect(authmeshJwtStrategyOptions({ issuer: ISSUER, audience: 'orders' })).toMatchObject({
      algorithms: ['RS256'],
      issuer: ISSUER,
      audience: 'orders',
      jsonWebTokenOptions: { clockTolerance: 30 },
    });
  });
});
