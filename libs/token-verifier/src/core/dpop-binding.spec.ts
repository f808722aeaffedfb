import { accessClaims, dpopProof, generateSigningKey, jwksOf, newDpopKey, signToken, type TestDpopKey } from '@authmesh/testing';
import { FakeJwksFetcher } from '../../test/support/fake-jwks-fetcher.js';
import { DpopBinding } from './dpop-binding.js';
import { DpopReplayGuard } from './dpop-replay.js';
import { JwksCache } from './jwks/jwks-cache.js';
import { TokenVerifier } from './token-verifier.js';

const ISSUER = 'https://auth.test';
const T0 = 1_800_000_000;
const ORIGINS = ['https://api.example', 'http://orders:3002'];
const signing = generateSigningKey('k1');

describe('TokenVerifier.verifyPresented with a DPoP binding (RFC 9449 §7)', () => {
  let client: TestDpopKey;
  let thief: TestDpopKey;
  const clock = { ms: T0 * 1000 };
  let verifier: TokenVerifier;

  beforeAll(async () => {
    client = await newDpopKey('ES256');
    thief = await newDpopKey('ES256');
    const fake = new FakeJwksFetcher({ kind: 'document', document: jwksOf(signing), maxAgeSeconds: 300 });
    const keys = new JwksCache({ jwksUri: `${ISSUER}/.well-known/jwks.json`, fetcher: fake.fetcher, now: () => clock.ms });
    const now = () => clock.ms;
    verifier = new TokenVerifier({ issuer: ISSUER, audience: 'orders', keys, now, dpop: new DpopBinding({ origins: ORIGINS, now }) });
  });

  const bound = () => signToken(signing, accessClaims(ISSUER, 'orders', T0, { cnf: { jkt: client.jkt } }));
  const request = (target = '/orders/1?page=2', host: string | undefined = 'api.example', method = 'GET') => ({ method, target, host });
  const proofFor = (token: string, more: Partial<Parameters<typeof dpopProof>[1]> = {}, key = client) =>
    dpopProof(key, { htm: 'GET', htu: 'https://api.example/orders/1', accessToken: token, iat: T0, ...more });
  const refusal = async (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (e: { code?: string }) => e.code,
    );

  it('accepts a bound token with a proof for this method, URL (query left out), token and key', async () => {
    const token = bound();
    const verified = await verifier.verifyPresented({ token, proof: await proofFor(token) }, request());
    expect(verified.claims.sub).toBe('user-1');
  });

  it('picks the origin by Host among the configured ones (the gateway hop)', async () => {
    const token = bound();
    const proof = await proofFor(token, { htu: 'http://orders:3002/orders/1' });
    await expect(verifier.verifyPresented({ token, proof }, request('/orders/1', 'orders:3002'))).resolves.toBeDefined();
  });

  it('never takes an origin from a Host that is not configured (dpop_proof_htu_mismatch)', async () => {
    const token = bound();
    const proof = await proofFor(token, { htu: 'https://evil.example/orders/1' });
    expect(await refusal(verifier.verifyPresented({ token, proof }, request('/orders/1', 'evil.example')))).toBe('dpop_proof_htu_mismatch');
  });

  it('refuses a bound token presented as Bearer (dpop_token_as_bearer)', async () => {
    expect(await refusal(verifier.verifyPresented(bound(), request()))).toBe('dpop_token_as_bearer');
  });

  it('refuses a proof by another key than cnf.jkt (a stolen token with the thief’s key)', async () => {
    const token = bound();
    expect(await refusal(verifier.verifyPresented({ token, proof: await proofFor(token, {}, thief) }, request()))).toBe(
      'dpop_proof_key_mismatch',
    );
  });

  it('remembers a jti in the shared store for the proof window plus 5 s plus the clock tolerance (a replica behind still finds it)', async () => {
    const ttls: number[] = [];
    const shared = { claim: async (_key: string, ttlMs: number) => (ttls.push(ttlMs), true) };
    const now = () => clock.ms;
    const replay = new DpopReplayGuard({ shared, now });
    const keys = new JwksCache({
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
      fetcher: new FakeJwksFetcher({ kind: 'document', document: jwksOf(signing), maxAgeSeconds: 300 }).fetcher,
      now,
    });
    const tolerant = new TokenVerifier({
      issuer: ISSUER,
      audience: 'orders',
      keys,
      now,
      dpop: new DpopBinding({ origins: ORIGINS, now, replay, clockToleranceSeconds: 30 }),
    });
    const token = bound();
    await tolerant.verifyPresented({ token, proof: await proofFor(token) }, request());
    // iat = now: 60 s window + 5 s + 30 s tolerance.
    expect(ttls).toEqual([95_000]);
  });

  it('refuses a replayed proof', async () => {
    const token = bound();
    const proof = await proofFor(token);
    await verifier.verifyPresented({ token, proof }, request());
    expect(await refusal(verifier.verifyPresented({ token, proof }, request()))).toBe('dpop_proof_replayed');
  });

  it.each([
    ['another method', { htm: 'POST' }, 'dpop_proof_htm_mismatch'],
    ['another URL', { htu: 'https://api.example/orders/2' }, 'dpop_proof_htu_mismatch'],
    ['a stale iat', { iat: T0 - 61 }, 'dpop_proof_stale'],
    ['another token’s ath', { accessToken: 'another.token.here' }, 'dpop_proof_ath_mismatch'],
  ])('refuses a proof for %s', async (_what, more, code) => {
    const token = bound();
    expect(await refusal(verifier.verifyPresented({ token, proof: await proofFor(token, more) }, request()))).toBe(code);
  });

  it('accepts a token without cnf under the DPoP scheme only with a valid proof (RFC 9449 §7.1 MAY)', async () => {
    const token = signToken(signing, accessClaims(ISSUER, 'orders', T0));
    await expect(verifier.verifyPresented({ token, proof: await proofFor(token) }, request())).resolves.toBeDefined();
    expect(await refusal(verifier.verifyPresented({ token, proof: await proofFor(token, { htm: 'PUT' }) }, request()))).toBe(
      'dpop_proof_htm_mismatch',
    );
  });

  it('refuses every DPoP request when no origin is configured', async () => {
    const now = () => clock.ms;
    const fake = new FakeJwksFetcher({ kind: 'document', document: jwksOf(signing), maxAgeSeconds: 300 });
    const keys = new JwksCache({ jwksUri: `${ISSUER}/.well-known/jwks.json`, fetcher: fake.fetcher, now });
    const bare = new TokenVerifier({ issuer: ISSUER, audience: 'orders', keys, now });
    const token = bound();
    expect(await refusal(bare.verifyPresented({ token, proof: await proofFor(token) }, request()))).toBe('dpop_proof_htu_mismatch');
  });

  it('refuses a token whose cnf has no jkt under the DPoP scheme', async () => {
    const token = signToken(signing, accessClaims(ISSUER, 'orders', T0, { cnf: { 'x5t#S256': 'abc' } }));
    expect(await refusal(verifier.verifyPresented({ token, proof: await proofFor(token) }, request()))).toBe('dpop_proof_key_mismatch');
  });
});
