import { createHash } from 'node:crypto';
import { type CryptoKey, EmbeddedJWK, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { DpopKey, asksForDpopNonce } from './dpop-key.js';

const NOW = 1_800_000_000_000;

describe('DpopKey', () => {
  it('makes proofs the verifier accepts: public jwk only, htu without query and fragment, iat on the injected clock', async () => {
    const key = await DpopKey.generate('ES256', () => NOW);
    const proof = await key.proof('GET', 'https://orders.example/orders?page=2#x', { accessToken: 'tok' });
    const header = decodeProtectedHeader(proof);
    expect(Object.keys(header.jwk!).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(decodeJwt(proof)).toMatchObject({ htm: 'GET', htu: 'https://orders.example/orders', iat: NOW / 1000 });
    // Signed by the key its jwk names; ath is the token's hash; jkt is the RFC 7638 thumbprint.
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', currentDate: new Date(NOW) });
    expect(payload.ath).toBe(createHash('sha256').update('tok').digest('base64url'));
    expect(key.jkt).toBe(await calculateJwkThumbprint(header.jwk!, 'sha256'));
  });

  it('holds a private key that cannot be exported', async () => {
    const key = await DpopKey.generate('EdDSA');
    const privateKey = (key as unknown as { privateKey: CryptoKey }).privateKey;
    expect(privateKey.extractable).toBe(false);
  });

  it('puts the nonce an origin last sent into later proofs to that origin only', async () => {
    const key = await DpopKey.generate();
    expect(key.rememberNonce('https://auth.example/oauth/token', 'n1')).toBe(true);
    expect(key.rememberNonce('https://auth.example/other', 'n1')).toBe(false);
    expect(decodeJwt(await key.proof('POST', 'https://auth.example/oauth/token')).nonce).toBe('n1');
    expect(decodeJwt(await key.proof('GET', 'https://orders.example/x')).nonce).toBeUndefined();
    expect(key.rememberNonce('https://auth.example/', undefined)).toBe(false);
  });

  it('recognises the two nonce challenges of RFC 9449 §8 and §9', () => {
    expect(asksForDpopNonce(400, {}, 'use_dpop_nonce')).toBe(true);
    expect(asksForDpopNonce(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"' })).toBe(true);
    expect(asksForDpopNonce(401, { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' })).toBe(false);
    expect(asksForDpopNonce(400, {}, 'invalid_grant')).toBe(false);
  });
});
