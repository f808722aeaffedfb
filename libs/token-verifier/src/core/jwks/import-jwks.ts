import { importJWK } from 'jose';
import { KeyObject } from 'node:crypto';
import { quoteForLog } from '../errors.js';
import type { RsaVerificationKey } from './rsa-verification-key.js';

/** RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms." */
export const MIN_RSA_BITS = 2048;
/** Larger keys make every verification slower (a denial-of-service lever) and are never needed. */
export const MAX_RSA_BITS = 8192;

const PRIVATE_RSA_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;

/** The usable keys of a JWKS, by kid, and why each other key was ignored. */
export interface ImportedJwks {
  readonly keys: ReadonlyMap<string, RsaVerificationKey>;
  readonly ignored: readonly string[];
}

/** The JWKS document is not `{ "keys": [ … ] }`. */
export class InvalidJwksError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJwksError';
  }
}

/**
 * Keeps only the keys we can safely verify RS256 with: `kty` RSA, a `kid`, `alg` RS256 or absent,
 * `use` sig or absent, `key_ops` absent or containing verify, no private members, 2048 to 8192
 * bits. A kid that appears more than once is dropped altogether (we could not tell which one a
 * token means). Keys are parsed by jose's `importJWK` and kept as node KeyObjects for the hot path.
 */
export async function importJwks(document: unknown): Promise<ImportedJwks> {
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { keys?: unknown }).keys)) {
    throw new InvalidJwksError('JWKS is not an object with a "keys" array');
  }
  const ignored: string[] = [];
  const byKid = new Map<string, RsaVerificationKey>();
  const duplicates = new Set<string>();
  for (const [index, jwk] of ((document as { keys: unknown[] }).keys ?? []).entries()) {
    const label = `key #${index}`;
    const reason = await importOne(jwk).then(
      (key) => {
        if (typeof key === 'string') return key;
        if (byKid.has(key.kid) || duplicates.has(key.kid)) {
          duplicates.add(key.kid);
          byKid.delete(key.kid);
          return `kid ${quoteForLog(key.kid)} appears more than once`;
        }
        byKid.set(key.kid, key);
        return undefined;
      },
      (e: unknown) => `not importable (${e instanceof Error ? e.message : String(e)})`,
    );
    if (reason !== undefined) ignored.push(`${label}: ${reason}`);
  }
  return { keys: byKid, ignored };
}

/** Returns the key, or why it is ignored. */
async function importOne(jwk: unknown): Promise<RsaVerificationKey | string> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not an object';
  const k = jwk as Record<string, unknown>;
  if (k.kty !== 'RSA') return `kty ${quoteForLog(k.kty)} is not RSA`;
  if (typeof k.kid !== 'string' || k.kid === '') return 'no kid';
  const kid = k.kid;
  if (k.alg !== undefined && k.alg !== 'RS256') return `kid ${quoteForLog(kid)}: alg ${quoteForLog(k.alg)} is not RS256`;
  if (k.use !== undefined && k.use !== 'sig') return `kid ${quoteForLog(kid)}: use ${quoteForLog(k.use)} is not sig`;
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) {
    return `kid ${quoteForLog(kid)}: key_ops does not allow verify`;
  }
  // A private key in a JWKS is a leak on the publisher's side; never use it (or its public half).
  if (PRIVATE_RSA_MEMBERS.some((m) => k[m] !== undefined)) return `kid ${quoteForLog(kid)}: contains private key material`;
  if (typeof k.n !== 'string' || typeof k.e !== 'string') return `kid ${quoteForLog(kid)}: n or e missing`;

  // Only the public members reach importJWK: x5c, x5u and the like are never looked at.
  const imported = await importJWK({ kty: 'RSA', n: k.n, e: k.e }, 'RS256');
  if (imported instanceof Uint8Array) return `kid ${quoteForLog(kid)}: not an RSA public key`;
  const keyObject = KeyObject.from(imported);
  const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
  if (keyObject.asymmetricKeyType !== 'rsa' || keyObject.type !== 'public') return `kid ${quoteForLog(kid)}: not an RSA public key`;
  if (bits < MIN_RSA_BITS) return `kid ${quoteForLog(kid)}: ${bits}-bit modulus is below ${MIN_RSA_BITS}`;
  if (bits > MAX_RSA_BITS) return `kid ${quoteForLog(kid)}: ${bits}-bit modulus is above ${MAX_RSA_BITS}`;
  return Object.freeze({ kid, keyObject, modulusBytes: Math.ceil(bits / 8) });
}
