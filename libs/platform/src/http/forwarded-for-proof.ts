import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The header in which a proxy proves that it, and not whoever sent the request, wrote the
 * request's X-Forwarded-For. Trusting X-Forwarded-For by the sender's address alone
 * (TRUST_PROXY=127.0.0.1) trusts every process that can connect from that address: on one host
 * that is any local process, and behind a service-mesh sidecar it is every client on the internet.
 * A proof computed with a secret only the proxy and the service hold names the proxy by what it
 * knows instead of where it connects from.
 */
export const FORWARDED_FOR_PROOF_HEADER = 'x-authmesh-forwarded-for-proof';

/**
 * How long a proof is good for, either side of its timestamp. Services log request headers, so a
 * proof can be read back later; bounding its age means a proof read from a log can't be replayed
 * to claim that client's address (and spend its budgets) once the request is over.
 */
export const FORWARDED_FOR_PROOF_MAX_AGE_SECONDS = 30;

/** The proof for one forwarded client address: `<unix seconds>.<HMAC-SHA-256, base64url>`. */
export function forwardedForProof(secret: string, address: string, nowMs: number = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `${t}.${mac(secret, t, address)}`;
}

/** True when `proof` was made with `secret` for exactly `address`, recently enough. */
export function isForwardedForProofValid(secret: string, address: string, proof: string, nowMs: number = Date.now()): boolean {
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(proof);
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowMs / 1000 - t) > FORWARDED_FOR_PROOF_MAX_AGE_SECONDS) return false;
  const expected = Buffer.from(mac(secret, t, address));
  const given = Buffer.from(match[2]!);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(secret: string, t: number, address: string): string {
  // A fixed label first: this MAC can't be mistaken for any other use of the same secret.
  return createHmac('sha256', secret).update(`authmesh-forwarded-for\n${t}\n${address}`).digest('base64url');
}
