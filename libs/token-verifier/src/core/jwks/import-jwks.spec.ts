import { generateSigningKey } from '@authmesh/testing';
import { InvalidJwksError, importJwks } from './import-jwks.js';

const good = generateSigningKey('good');
const small = generateSigningKey('small', 1024);

describe('importJwks', () => {
  it('imports an RS256 signing key', async () => {
    const { keys, ignored } = await importJwks({ keys: [good.jwk] });
    expect([...keys.keys()]).toEqual(['good']);
    expect(keys.get('good')?.keyObject.asymmetricKeyType).toBe('rsa');
    expect(ignored).toEqual([]);
  });

  it('accepts a key without alg and use', async () => {
    const { alg: _a, use: _u, ...bare } = good.jwk;
    expect((await importJwks({ keys: [bare] })).keys.size).toBe(1);
  });

  it.each([
    ['an RSA key under 2048 bits', small.jwk, 'below 2048'],
    ['a key for another alg', { ...good.jwk, alg: 'RS512' }, 'is not RS256'],
    ['an encryption key', { ...good.jwk, use: 'enc' }, 'is not sig'],
    ['a key whose key_ops exclude verify', { ...good.jwk, key_ops: ['encrypt'] }, 'key_ops'],
    ['a non-RSA key', { kty: 'EC', crv: 'P-256', x: 'a', y: 'b', kid: 'ec' }, 'is not RSA'],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }, 'is not RSA'],
    ['a key without kid', { ...good.jwk, kid: undefined }, 'no kid'],
    ['a key with private material', { ...good.jwk, d: 'AQAB' }, 'private key material'],
    ['a key with a broken modulus', { ...good.jwk, n: '!!!' }, 'modulus'],
  ])('ignores %s', async (_name, jwk, reason) => {
    const { keys, ignored } = await importJwks({ keys: [jwk] });
    expect(keys.size).toBe(0);
    expect(ignored.join()).toContain(reason);
  });

  it('drops a kid that appears twice', async () => {
    const other = generateSigningKey('good');
    const { keys, ignored } = await importJwks({ keys: [good.jwk, other.jwk, { ...good.jwk }] });
    expect(keys.size).toBe(0);
    expect(ignored.join()).toContain('more than once');
  });

  it.each([null, [], { keys: {} }, 'keys'])('rejects a document that is not a JWKS: %j', async (doc) => {
    await expect(importJwks(doc)).rejects.toBeInstanceOf(InvalidJwksError);
  });
});
