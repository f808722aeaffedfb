import { createHmac, randomUUID, sign } from 'node:crypto';
import type { TestSigningKey } from './signing-keys.js';

export type Claims = Record<string, unknown>;
export type Header = Record<string, unknown>;

export const b64url = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The claims auth puts in an access token, valid at `nowSeconds` for `audience`. */
export function accessClaims(issuer: string, audience: string | string[], nowSeconds: number, overrides: Claims = {}): Claims {
  return {
    iss: issuer,
    sub: 'user-1',
    aud: audience,
    exp: nowSeconds + 300,
    iat: nowSeconds,
    nbf: nowSeconds,
    jti: randomUUID(),
    client_id: 'web-app',
    scope: 'orders:read profiles:read',
    ...overrides,
  };
}

/** Signs `claims` RS256 with `key`; `header` members override `{ alg: RS256, typ: at+jwt, kid }` (undefined deletes). */
export function signToken(key: TestSigningKey, claims: Claims, header: Header = {}): string {
  const h: Header = { alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...header };
  for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
  return signRaw(key, b64url(h), b64url(claims));
}

/** Signs already-encoded header and payload segments RS256 (for malformed-payload tests). */
export function signRaw(
  key: TestSigningKey,
  headerSegment: string,
  payloadSegment: string,
  digest = 'RSA-SHA256',
  padding?: number,
): string {
  const input = `${headerSegment}.${payloadSegment}`;
  const signature = sign(digest, Buffer.from(input), padding === undefined ? key.privateKey : { key: key.privateKey, padding });
  return `${input}.${signature.toString('base64url')}`;
}

/** HS256 with `secret` (the classic attack: the RSA public key as an HMAC secret). */
export function signHs256(claims: Claims, header: Header, secret: string | Buffer): string {
  const input = `${b64url({ alg: 'HS256', typ: 'at+jwt', ...header })}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(claims: Claims, header: Header): string {
  return `${b64url({ alg: 'none', typ: 'at+jwt', ...header })}.${b64url(claims)}.`;
}
