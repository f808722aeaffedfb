import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import {
  DPOP_SIGNING_ALGS,
  dpopThumbprint,
  DpopNonceRequiredError,
  DpopProofAthMismatchError,
  DpopProofBadAlgorithmError,
  DpopProofBadSignatureError,
  DpopProofHtmMismatchError,
  DpopProofHtuMismatchError,
  DpopProofKeyMismatchError,
  DpopProofMalformedError,
  DpopProofPrivateKeyError,
  DpopProofStaleError,
  verifyDpopProof,
  type DpopProofExpectations,
} from './index.js';

const NOW = 1_800_000_000;
const URL_ = 'https://auth.example/oauth/token';
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

interface Signer {
  privateKey: CryptoKey;
  jwk: JWK;
  alg: string;
}
const signers = new Map<string, Signer>();
async function signer(alg: string): Promise<Signer> {
  let s = signers.get(alg);
  if (s === undefined) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    s = { privateKey, jwk: await exportJWK(publicKey), alg };
    signers.set(alg, s);
  }
  return s;
}

async function proof(
  claims: Record<string, unknown> = {},
  opts: { alg?: string; header?: Record<string, unknown>; key?: Signer } = {},
): Promise<string> {
  const s = opts.key ?? (await signer(opts.alg ?? 'ES256'));
  return new SignJWT({ jti: `jti-${Math.random()}`, htm: 'POST', htu: URL_, iat: NOW, ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: s.alg, jwk: s.jwk, ...opts.header })
    .sign(s.privateKey);
}

const expect_ = (more: Partial<DpopProofExpectations> = {}): DpopProofExpectations => ({ method: 'POST', url: URL_, nowS: NOW, ...more });

async function refusal(p: Promise<unknown>): Promise<{ name: string; code: string; challenge: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; code: string; wwwAuthenticateError: string };
    return { name: err.name, code: err.code, challenge: err.wwwAuthenticateError };
  }
  throw new Error('expected a refusal');
}

describe('verifyDpopProof', () => {
  it.each(DPOP_SIGNING_ALGS)('accepts a fresh proof signed with %s and returns its key thumbprint', async (alg) => {
    const s = await signer(alg);
    const verified = await verifyDpopProof(await proof({ jti: 'abc' }, { key: s }), expect_());
    expect(verified).toEqual({ jkt: await dpopThumbprint(s.jwk), jti: 'abc', iat: NOW, htm: 'POST', htu: URL_, replayUntilS: NOW + 60 });
  });

  it('rejects a proof whose alg is none', async () => {
    const s = await signer('ES256');
    const unsigned = `${b64({ typ: 'dpop+jwt', alg: 'none', jwk: s.jwk })}.${b64({ jti: 'x', htm: 'POST', htu: URL_, iat: NOW })}.`;
    expect(await refusal(verifyDpopProof(unsigned, expect_()))).toEqual({
      name: 'DpopProofBadAlgorithmError',
      code: 'dpop_proof_bad_algorithm',
      challenge: 'invalid_dpop_proof',
    });
  });

  it('rejects a proof signed with HS256, even when the caller lists it', async () => {
    const secret = new Uint8Array(32).fill(7);
    const hs = await new SignJWT({ jti: 'x', htm: 'POST', htu: URL_, iat: NOW })
      // jose's types forbid a secret in the jwk header; a hostile client's proof need not follow them.
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as JWK })
      .sign(secret);
    expect((await refusal(verifyDpopProof(hs, expect_()))).code).toBe(DpopProofBadAlgorithmError.code);
    expect((await refusal(verifyDpopProof(hs, expect_({ allowedAlgs: ['HS256', 'ES256'] })))).code).toBe(DpopProofBadAlgorithmError.code);
  });

  it('rejects an alg the caller did not allow', async () => {
    const p = await proof({}, { alg: 'RS256' });
    expect((await refusal(verifyDpopProof(p, expect_({ allowedAlgs: ['ES256'] })))).code).toBe('dpop_proof_bad_algorithm');
  });

  it('rejects a proof whose jwk carries the private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const p = await new SignJWT({ jti: 'x', htm: 'POST', htu: URL_, iat: NOW })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk })
      .sign(privateKey);
    expect(await refusal(verifyDpopProof(p, expect_()))).toEqual({
      name: 'DpopProofPrivateKeyError',
      code: DpopProofPrivateKeyError.code,
      challenge: 'invalid_dpop_proof',
    });
  });

  it('rejects a symmetric jwk (k) as a private key', async () => {
    const p = await proof({}, { header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } });
    expect((await refusal(verifyDpopProof(p, expect_()))).code).toBe('dpop_proof_private_key');
  });

  it('rejects a proof whose typ is not dpop+jwt (an access token replayed as a proof)', async () => {
    for (const typ of ['JWT', 'at+jwt', undefined]) {
      const p = await proof({}, { header: { typ } });
      expect((await refusal(verifyDpopProof(p, expect_()))).code).toBe(DpopProofMalformedError.code);
    }
  });

  it('rejects a proof without a jwk header', async () => {
    const p = await proof({}, { header: { jwk: undefined, kid: 'k1' } });
    expect((await refusal(verifyDpopProof(p, expect_()))).code).toBe('dpop_proof_malformed');
  });

  it('rejects a proof signed by another key than its jwk names', async () => {
    const other = await signer('EdDSA');
    const es = await signer('ES256');
    const { privateKey } = await generateKeyPair('ES256');
    const p = await proof({}, { key: { ...es, privateKey } });
    expect((await refusal(verifyDpopProof(p, expect_()))).code).toBe(DpopProofBadSignatureError.code);
    // A jwk of another key type than the alg is malformed, not a 500.
    const mixed = await proof({}, { key: es, header: { jwk: other.jwk } });
    expect((await refusal(verifyDpopProof(mixed, expect_()))).code).toBe('dpop_proof_malformed');
  });

  it('rejects what is not a compact JWS, and a proof over the size cap', async () => {
    for (const bad of ['', 'abc', 'a.b', 'a.b.c.d.e', '{"a":1}.e30.', 'x'.repeat(9000)]) {
      expect((await refusal(verifyDpopProof(bad, expect_()))).code).toBe('dpop_proof_malformed');
    }
  });

  it.each(['jti', 'htm', 'htu', 'iat'])('rejects a proof without %s', async (claim) => {
    const p = await proof({ [claim]: undefined });
    expect((await refusal(verifyDpopProof(p, expect_()))).code).toBe('dpop_proof_malformed');
  });

  it('rejects claims of the wrong type', async () => {
    for (const claims of [{ iat: String(NOW) }, { jti: 5 }, { htu: ['x'] }, { nonce: 3 }, { jti: 'j'.repeat(300) }]) {
      expect((await refusal(verifyDpopProof(await proof(claims), expect_()))).code).toBe('dpop_proof_malformed');
    }
  });

  it('rejects a proof for another method, compared case-sensitively', async () => {
    expect(await refusal(verifyDpopProof(await proof({ htm: 'GET' }), expect_()))).toMatchObject({ code: DpopProofHtmMismatchError.code });
    expect((await refusal(verifyDpopProof(await proof({ htm: 'post' }), expect_()))).code).toBe('dpop_proof_htm_mismatch');
  });

  it('rejects a proof for another URL, and accepts the same URL written differently', async () => {
    for (const htu of [
      'https://auth.example/oauth/revoke',
      'http://auth.example/oauth/token',
      'https://other.example/oauth/token',
      'urn:x:y',
    ]) {
      expect((await refusal(verifyDpopProof(await proof({ htu }), expect_()))).code).toBe(DpopProofHtuMismatchError.code);
    }
    for (const htu of [
      'HTTPS://Auth.EXAMPLE:443/oauth/token',
      'https://auth.example/oauth/./token?x=1#y',
      'https://auth.example/oauth/%74oken',
    ]) {
      await expect(verifyDpopProof(await proof({ htu }), expect_())).resolves.toMatchObject({ htu });
    }
  });

  it('rejects a proof older than the window or ahead of the clock, on the injected clock', async () => {
    const p = await proof({ iat: NOW - 61 });
    expect(await refusal(verifyDpopProof(p, expect_()))).toMatchObject({ code: DpopProofStaleError.code });
    await expect(verifyDpopProof(p, expect_({ iatWindowS: 120 }))).resolves.toMatchObject({ replayUntilS: NOW - 61 + 120 });
    expect((await refusal(verifyDpopProof(await proof({ iat: NOW + 6 }), expect_()))).code).toBe('dpop_proof_stale');
    await expect(verifyDpopProof(await proof({ iat: NOW + 5 }), expect_())).resolves.toMatchObject({ replayUntilS: NOW + 5 + 60 });
  });

  it('rejects a proof past its own exp', async () => {
    expect((await refusal(verifyDpopProof(await proof({ exp: NOW - 10 }), expect_()))).code).toBe('dpop_proof_stale');
  });

  it('checks ath against the access token it comes with', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.e30.sig';
    const ath = createHash('sha256').update(token).digest('base64url');
    await expect(verifyDpopProof(await proof({ ath }), expect_({ accessToken: token }))).resolves.toBeDefined();
    for (const bad of [undefined, createHash('sha256').update('another').digest('base64url')]) {
      expect(await refusal(verifyDpopProof(await proof({ ath: bad }), expect_({ accessToken: token })))).toMatchObject({
        code: DpopProofAthMismatchError.code,
        challenge: 'invalid_dpop_proof',
      });
    }
  });

  it('rejects a proof by another key than the bound one (a stolen token with the thief key)', async () => {
    const bound = await dpopThumbprint((await signer('EdDSA')).jwk);
    await expect(verifyDpopProof(await proof({}, { alg: 'EdDSA' }), expect_({ expectedJkt: bound }))).resolves.toMatchObject({
      jkt: bound,
    });
    expect((await refusal(verifyDpopProof(await proof(), expect_({ expectedJkt: bound })))).code).toBe(DpopProofKeyMismatchError.code);
  });

  it('asks for the server nonce when the proof has none or another (use_dpop_nonce)', async () => {
    expect(await refusal(verifyDpopProof(await proof(), expect_({ nonce: 'n1' })))).toEqual({
      name: 'DpopNonceRequiredError',
      code: DpopNonceRequiredError.code,
      challenge: 'use_dpop_nonce',
    });
    expect((await refusal(verifyDpopProof(await proof({ nonce: 'n0' }), expect_({ nonce: 'n1' })))).code).toBe('dpop_nonce_required');
    await expect(verifyDpopProof(await proof({ nonce: 'n1' }), expect_({ nonce: 'n1' }))).resolves.toMatchObject({ nonce: 'n1' });
    const seen: (string | undefined)[] = [];
    const accept = (n: string | undefined): boolean => (seen.push(n), n === 'n2');
    await expect(verifyDpopProof(await proof({ nonce: 'n2' }), expect_({ nonce: accept }))).resolves.toMatchObject({ nonce: 'n2' });
    expect((await refusal(verifyDpopProof(await proof(), expect_({ nonce: accept })))).code).toBe('dpop_nonce_required');
    expect(seen).toEqual(['n2', undefined]);
  });

  it('answers use_dpop_nonce, not an exception, when the nonce check throws on what the client sent', async () => {
    const throwing = (): boolean => {
      throw new RangeError('Input buffers must have the same byte length');
    };
    expect(await refusal(verifyDpopProof(await proof({ nonce: 'é'.repeat(22) }), expect_({ nonce: throwing })))).toEqual({
      name: 'DpopNonceRequiredError',
      code: DpopNonceRequiredError.code,
      challenge: 'use_dpop_nonce',
    });
  });
});
