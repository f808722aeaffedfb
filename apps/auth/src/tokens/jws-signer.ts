import { sign, type KeyObject } from 'node:crypto';

/** The protected header auth puts on every access token (RFC 9068 §2.1: `typ` is `at+jwt`). */
export interface AccessTokenHeader {
  readonly alg: 'RS256';
  readonly typ: 'at+jwt';
  readonly kid: string;
}

/**
 * Signs a JWS in compact serialization (RFC 7515 §7.1) with RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256, RFC 7518 §3.3) on libuv's thread pool.
 *
 * Why not jose's SignJWT, as before: it signs through WebCrypto, which also uses the pool, but its
 * per-token claim handling and key preparation made it the slowest of the four calls measured at
 * load (decision 009); `crypto.sign` with a callback was the fastest at 16 tokens in flight with
 * the lowest p99, and a synchronous `crypto.sign` holds the event loop ~0.8 ms per token, so it
 * serializes every request behind signing on one core. The header and claims are ours (never
 * caller-chosen), so there is nothing for a JWT library to validate here.
 */
export function signRs256Jwt(header: AccessTokenHeader, claims: Readonly<Record<string, unknown>>, privateKey: KeyObject): Promise<string> {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input), privateKey, (err, signature) =>
      err ? reject(err) : resolve(`${input}.${signature.toString('base64url')}`),
    );
  });
}
