import { TokenMalformedError, TokenTooLargeError } from './errors.js';

/** Three base64url segments (RFC 7515 §7.1, no padding); the signature may be empty (`alg: none`). */
const STRICT_COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Where the segments of a compact JWS end (no copies made). */
export interface JwsSegments {
  /** Index of the dot ending the header segment. */
  readonly headerEnd: number;
  /** Index of the dot ending the payload segment: `token.slice(0, payloadEnd)` is the JWS signing input. */
  readonly payloadEnd: number;
}

/**
 * Checks the length cap (before any other work on attacker-controlled input) and finds the three
 * segments of a compact JWS.
 *
 * The strict alphabet check (`isStrictCompactJws`) is not needed on the happy path: header and
 * payload are covered by the signature byte for byte (the signing input is the raw segments), so
 * a token with a stray character cannot verify unless the issuer produced it. It runs when the
 * signature fails, to tell a malformed token from a forged one, and costs nothing on valid tokens
 * (a regex over ~800 characters is ~5 % of an RSA verification).
 */
export function splitCompactJws(token: string, maxTokenBytes: number): JwsSegments {
  // A header value reaches us as a latin1 string: one char per byte, so length is the byte count.
  if (token.length > maxTokenBytes) throw new TokenTooLargeError(`token is ${token.length} bytes, the limit is ${maxTokenBytes}`);
  const headerEnd = token.indexOf('.');
  const payloadEnd = headerEnd === -1 ? -1 : token.indexOf('.', headerEnd + 1);
  if (headerEnd <= 0 || payloadEnd === -1 || payloadEnd === headerEnd + 1 || token.indexOf('.', payloadEnd + 1) !== -1) {
    throw new TokenMalformedError('not a compact JWS with three non-empty segments');
  }
  return { headerEnd, payloadEnd };
}

/** True when every segment is strict base64url of a length some encoder can produce. */
export function isStrictCompactJws(token: string, segments: JwsSegments): boolean {
  const { headerEnd, payloadEnd } = segments;
  // A base64 string of length 4n+1 cannot be produced by any encoder.
  if (headerEnd % 4 === 1 || (payloadEnd - headerEnd - 1) % 4 === 1 || (token.length - payloadEnd - 1) % 4 === 1) return false;
  return STRICT_COMPACT_JWS.test(token);
}

/** Reused decode buffer (decoding is synchronous); grown when a segment needs more. */
let scratch = Buffer.allocUnsafe(8192);

/** Decodes `token[start, end)` as base64url JSON that must be an object. */
export function decodeJsonSegment(token: string, start: number, end: number, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    if (end - start > scratch.length) scratch = Buffer.allocUnsafe(end - start);
    const length = scratch.write(token.slice(start, end), 0, scratch.length, 'base64url');
    value = JSON.parse(scratch.toString('utf8', 0, length));
  } catch {
    throw new TokenMalformedError(`${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenMalformedError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
