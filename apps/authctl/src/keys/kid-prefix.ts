import type { KeyState, KeyView } from '@authmesh/contracts';
import { RefusedInputError, UsageError } from '../cli/errors.js';

/** A prefix shorter than this could match a key the operator never looked at. */
export const MIN_KID_PREFIX = 8;
/** States auth can revoke: the ones whose public key is still published (docs/architecture.md, "Signing keys and rotation"). */
export const REVOCABLE_STATES: readonly KeyState[] = ['pending', 'active', 'retiring'];
/** kids are RFC 7638 thumbprints (base64url); nothing else can match. */
const KID_CHARS = /^[A-Za-z0-9_-]+$/;

/** Checks a kid prefix's shape before anything is sent. */
export function checkKidPrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').trim();
  if (p.length < MIN_KID_PREFIX) throw new UsageError(`kid prefix must be at least ${MIN_KID_PREFIX} characters (got "${p}")`);
  if (!KID_CHARS.test(p)) throw new UsageError(`"${p.slice(0, 80)}" is not a kid (kids are base64url: A-Z a-z 0-9 _ -)`);
  return p;
}

const describe = (k: KeyView): string => `  ${k.kid}  ${k.state.padEnd(8)}  created ${k.createdAt}`;

/**
 * The one key a prefix names. An exact kid wins over prefixes of longer kids; an unknown or
 * ambiguous prefix is refused with the candidates listed, so the operator picks, never the CLI.
 */
export function resolveKid(prefix: string, keys: readonly KeyView[]): KeyView {
  const exact = keys.find((k) => k.kid === prefix);
  if (exact) return exact;
  const matches = keys.filter((k) => k.kid.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const known = keys.length ? `; keys:\n${keys.map(describe).join('\n')}` : '; auth has no keys';
    throw new RefusedInputError('kid_unknown', `no key matches "${prefix}"${known}`);
  }
  throw new RefusedInputError(
    'kid_ambiguous',
    `"${prefix}" matches ${matches.length} keys; give more of the kid:\n${matches.map(describe).join('\n')}`,
  );
}

/** Refuses a key that is already out of the JWKS (retired or revoked): there is nothing left to revoke. */
export function assertRevocable(key: KeyView): void {
  if (!REVOCABLE_STATES.includes(key.state)) {
    throw new RefusedInputError(
      'key_not_revocable',
      `key ${key.kid} is ${key.state}: only ${REVOCABLE_STATES.join(', ')} keys can be revoked (it is no longer published)`,
    );
  }
}
