import { generateKeyPairSync } from 'node:crypto';
import { clientJwksProblems } from './client-jwks.js';

const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'k' };

function withLowBitCleared(n: string): string {
  const bytes = Buffer.from(n, 'base64url');
  bytes[bytes.length - 1]! &= 0xfe;
  return bytes.toString('base64url');
}

describe('clientJwksProblems: RSA public exponent and modulus (RFC 7518 §6.3.1, NIST SP 800-56B)', () => {
  it('accepts a 2048-bit key with e = 65537', () => {
    expect(clientJwksProblems({ keys: [rsa] })).toEqual([]);
  });

  it.each([
    ['1 (a signature equal to its PKCS#1 encoding verifies)', 'AQ'],
    ['3 (below 65537)', 'Aw'],
    ['65536 (even)', 'AQAA'],
    ['2^256 + 1 (too large)', Buffer.from([1, ...new Array<number>(31).fill(0), 1]).toString('base64url')],
  ])('refuses the public exponent %s', (_what, e) => {
    expect(clientJwksProblems({ keys: [{ ...rsa, e }] })).toEqual([
      'jwks.keys[0].e must be an odd RSA exponent of at least 65537 and below 2^256',
    ]);
  });

  it('refuses an even modulus', () => {
    expect(clientJwksProblems({ keys: [{ ...rsa, n: withLowBitCleared(rsa.n!) }] })).toEqual(['jwks.keys[0].n must be an odd RSA modulus']);
  });
});
