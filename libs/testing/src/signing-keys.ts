import { type JsonWebKey, type KeyObject, generateKeyPairSync } from 'node:crypto';

/** An RSA key pair generated at run time (no key material is ever committed). */
export interface TestSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK as auth publishes it: kty, n, e, kid, alg, use. */
  readonly jwk: JsonWebKey & { kid: string };
}

/** Generates an RSA key (2048 bits unless said otherwise) for tests. */
export function generateSigningKey(kid: string, modulusLength = 2048): TestSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, publicKey, jwk: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
}

/** A JWKS document holding the public halves of `keys`. */
export function jwksOf(...keys: TestSigningKey[]): { keys: (JsonWebKey & { kid: string })[] } {
  return { keys: keys.map((k) => ({ ...k.jwk })) };
}
