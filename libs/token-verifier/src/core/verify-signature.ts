import { verify } from 'node:crypto';
import type { RsaVerificationKey } from './jwks/rsa-verification-key.js';

/** Reused for the signing input and the signature: `crypto.verify` is synchronous, so nothing else can touch them meanwhile. */
let input = Buffer.allocUnsafe(8192);
const signature = Buffer.allocUnsafe(1024);

/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) over the JWS signing input
 * `token[0, payloadEnd)`, with the signature `token(payloadEnd, end]`.
 *
 * Why node:crypto directly and not `jose.jwtVerify`: jose's build for Node goes through WebCrypto
 * (`crypto.subtle.verify`): a hop to the libuv thread pool and back and several promises per
 * call. `npm run bench:verify` measures it at about a quarter of the rate of a one-shot
 * `crypto.verify` on a KeyObject, which is what we call here. We still use jose to import the
 * JWKs, and do jose's header and claim checks ourselves (check-header.ts, check-claims.ts).
 * Decoding into two reused buffers instead of fresh ones keeps garbage (and GC time) off the
 * cold path.
 */
export function verifyRs256Signature(token: string, payloadEnd: number, key: RsaVerificationKey): boolean {
  const signatureChars = token.length - payloadEnd - 1;
  // An RSA signature is exactly as long as the modulus (RFC 8017 §8.2.2 step 1): ceil(bytes * 4 / 3) base64url chars.
  if (signatureChars !== Math.ceil((key.modulusBytes * 4) / 3)) return false;
  if (payloadEnd > input.length) input = Buffer.allocUnsafe(payloadEnd);
  // The signing input is the raw characters of the first two segments; latin1 copies them byte for byte.
  input.write(token, 0, payloadEnd, 'latin1');
  const signatureBytes = signature.write(token.slice(payloadEnd + 1), 0, signature.length, 'base64url');
  if (signatureBytes !== key.modulusBytes) return false;
  try {
    return verify('RSA-SHA256', input.subarray(0, payloadEnd), key.keyObject, signature.subarray(0, signatureBytes));
  } catch {
    return false;
  }
}
