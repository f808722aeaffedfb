import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~". */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Whether `verifier` has the RFC 7636 §4.1 form (checked before any hashing). */
export function isWellFormedCodeVerifier(verifier: string): boolean {
  return CODE_VERIFIER.test(verifier);
}

/** BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2, `S256`). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * RFC 7636 §4.6 with `S256`, the only method auth accepts (`plain` would hand the challenge's
 * reader the verifier: OAuth 2.1 §4.1.1). Compared in constant time: the challenge is not secret
 * once sent, but a timing oracle on the comparison should not exist on principle.
 */
export function verifiesS256(verifier: string, challenge: string): boolean {
  if (!isWellFormedCodeVerifier(verifier)) return false;
  const computed = Buffer.from(s256Challenge(verifier));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
