import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { signRs256Jwt } from './jws-signer.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const header = { alg: 'RS256', typ: 'at+jwt', kid: 'k1' } as const;
const claims = {
  client_id: 'orders',
  scope: 'profiles:read',
  iss: 'http://auth.test',
  sub: 'orders',
  aud: 'profiles',
  iat: 1,
  nbf: 1,
  exp: 2,
  jti: 'j1',
};

describe('signRs256Jwt', () => {
  it('writes a compact JWS that an RS256 verifier accepts with the header and claims as given', async () => {
    const token = await signRs256Jwt(header, claims, privateKey);
    expect(decodeProtectedHeader(token)).toEqual(header);
    const { payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'], typ: 'at+jwt', currentDate: new Date(1500) });
    expect(payload).toEqual(claims);
  });

  it('produces a signature that another key does not verify', async () => {
    const token = await signRs256Jwt(header, claims, privateKey);
    await expect(compactVerify(token, other, { algorithms: ['RS256'] })).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });

  it('keeps the claim order it was given (tokens look as they did when jose signed them)', async () => {
    const token = await signRs256Jwt(header, claims, privateKey);
    const body = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as object;
    expect(Object.keys(body)).toEqual(Object.keys(claims));
  });

  it('refuses to sign RS256 with a key that is not an RSA private key (an EC key would sign under a header that says RS256)', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(signRs256Jwt(header, claims, ec.privateKey)).rejects.toThrow('RS256 needs an RSA private key, not ec');
    await expect(signRs256Jwt(header, claims, publicKey)).rejects.toThrow('RS256 needs an RSA private key');
  });
});
