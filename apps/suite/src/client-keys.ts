import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';

/** A private JWK of a service client (`private_key_jwt`), as ORDERS_CLIENT_KEY takes it. */
export interface PrivateClientJwk {
  readonly kty: string;
  readonly kid: string;
  readonly d: string;
  readonly [member: string]: string;
}

/** A public JWK Set, as AUTH_SEED_CLIENTS' `jwks` takes it. */
export interface PublicClientJwks {
  readonly keys: readonly Readonly<Record<string, string>>[];
}

/**
 * A new P-256 key pair for a `private_key_jwt` client (ES256: a 64-byte signature, the cheapest
 * key auth accepts to verify and to keep in an env file). `kid` names the client and the key.
 */
export function newClientKey(clientId: string): PrivateClientJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as PrivateClientJwk;
  return { ...jwk, kid: `${clientId}-${randomBytes(4).toString('hex')}`, alg: 'ES256' };
}

/** The public half of `privateJwk` as a one-key JWKS: the private members dropped, checked by importing it. */
export function publicJwksOf(privateJwk: PrivateClientJwk): PublicClientJwks {
  createPrivateKey({ key: privateJwk, format: 'jwk' }); // throws on a hand-broken key, before auth sees its half
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  return { keys: [publicJwk] };
}

/** A private JWK read back from a file or an env file; undefined when it is not one. */
export function parsePrivateClientJwk(text: string | undefined): PrivateClientJwk | undefined {
  if (text === undefined) return undefined;
  try {
    const jwk = JSON.parse(text) as Partial<PrivateClientJwk>;
    if (typeof jwk.kid !== 'string' || typeof jwk.d !== 'string') return undefined;
    publicJwksOf(jwk as PrivateClientJwk);
    return jwk as PrivateClientJwk;
  } catch {
    return undefined;
  }
}
