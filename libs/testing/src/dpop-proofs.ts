import { createHash, createHmac, randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { b64url } from './token-factory.js';

/** A client's DPoP key pair (tests only): the public JWK proofs carry, and its RFC 7638 thumbprint (`cnf.jkt`). */
export interface TestDpopKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** The private JWK: for the "proof carries a private key" attack. */
  readonly privateJwk: JWK;
  readonly jkt: string;
}

/** A fresh DPoP key pair (ES256 unless told otherwise). */
export async function newDpopKey(alg = 'ES256'): Promise<TestDpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** RFC 9449 §4.2 `ath`: base64url(SHA-256(access token)). */
export const accessTokenHash = (token: string): string => createHash('sha256').update(token, 'ascii').digest('base64url');

export interface TestProofOptions {
  readonly htm: string;
  readonly htu: string;
  /** The access token the proof is for (sets `ath`); omit for a token request. */
  readonly accessToken?: string;
  /** Seconds since the epoch (default now). */
  readonly iat?: number;
  readonly jti?: string;
  /** Claims to add or override (undefined deletes). */
  readonly claims?: Record<string, unknown>;
  /** Header members to add or override (undefined deletes). */
  readonly header?: Record<string, unknown>;
}

/**
 * A DPoP proof signed by `key`, valid for `htm`/`htu` now unless the options say otherwise; the
 * overrides make every hostile variant (another URL, a stale iat, a wrong ath…).
 *
 * @example
 * const key = await newDpopKey();
 * const proof = await dpopProof(key, { htm: 'GET', htu: `${orders.url}/orders`, accessToken });
 */
export async function dpopProof(key: TestDpopKey, options: TestProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
    ...options.claims,
  };
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** A proof with `alg: none` (no signature): must always be refused. */
export function unsignedDpopProof(key: TestDpopKey, options: TestProofOptions): string {
  const claims = { jti: randomUUID(), htm: options.htm, htu: options.htu, iat: Math.floor(Date.now() / 1000), ...options.claims };
  return `${b64url({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk })}.${b64url(claims)}.`;
}

/** A proof MACed with HS256 under `secret` (a symmetric "proof" proves no key possession): must always be refused. */
export function hs256DpopProof(key: TestDpopKey, options: TestProofOptions, secret = 'not-a-key'): string {
  const claims = {
    jti: randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: Math.floor(Date.now() / 1000),
    ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
  };
  const input = `${b64url({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
