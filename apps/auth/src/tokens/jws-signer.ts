import { sign, type KeyObject } from 'node:crypto';

/** The protected header auth puts on every access token (RFC 9068 §2.1: `typ` is `at+jwt`). */
export interface AccessTokenHeader {
  readonly alg: 'RS256';
  readonly typ: 'at+jwt';
  readonly kid: string;
}

/**
 * The protected header of an ID token: `typ` `JWT`, never `at+jwt`, so every verifier of access
 * tokens (RFC 9068 §4) refuses an ID token presented as one.
 */
export interface IdTokenHeader {
  readonly alg: 'RS256';
  readonly typ: 'JWT';
  readonly kid: string;
}

/**
 * Signs a JWS in compact serialization (RFC 7515 §7.1) with RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256, RFC 7518 §3.3) on libuv's thread pool.
 *
 * Why not jose's SignJWT, as before: it signs through WebCrypto (also on the pool) after building
 * the claims and preparing the key on every call, and was the slowest pool-based call at load in
 * five of decision 009's six measurements. `crypto.sign` with a callback matched `subtle.sign`
 * within noise at 16 tokens in flight and beat a synchronous `crypto.sign` 1.4–1.9×: the
 * synchronous call holds the event loop ~0.8 ms per token, so every request in flight waits behind
 * signing on one core. The header and claims are ours (never caller-chosen), so there is nothing
 * for a JWT library to validate here.
 */
export function signRs256Jwt(
  header: AccessTokenHeader | IdTokenHeader,
  claims: Readonly<Record<string, unknown>>,
  privateKey: KeyObject,
): Promise<string> {
  // What jose checked for us: `crypto.sign('sha256', …)` would sign with an EC or Ed25519 key just
  // as readily, under a header that says RS256 (RFC 8725 §3.1: the key decides the algorithm).
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa')
    return Promise.reject(new Error(`RS256 needs an RSA private key, not ${privateKey.asymmetricKeyType ?? privateKey.type}`));
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), privateKey, (err, signature) =>
      err ? reject(err) : resolve(`${input}.${signature.toString('base64url')}`),
    );
  });
}
