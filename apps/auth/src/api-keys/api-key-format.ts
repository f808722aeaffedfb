import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The API key format: `amk_live_` + 43 base62 characters (32 random bytes, 256 bits; at least 190
 * bits however they are counted) + 6 base62 characters of CRC32 over the random part.
 *
 * The prefix makes a key greppable and lets secret scanners (GitHub's push protection, gitleaks)
 * match it with one regex; the checksum, as in GitHub's own token format, lets a scanner — and
 * auth — tell a real key from a typo or a random string offline, before any lookup. The checksum
 * is no secret and no MAC: anyone can compute it; it only filters garbage cheaply.
 */
export const API_KEY_PREFIX = 'amk_live_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_BYTES = 32;
/** 62^43 > 2^256: 43 digits hold any 32 bytes. */
const RANDOM_CHARS = 43;
/** 62^6 > 2^32: 6 digits hold any CRC32. */
const CHECKSUM_CHARS = 6;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + RANDOM_CHARS + CHECKSUM_CHARS;
/** What a scanner can match (also in docs/security.md). */
export const API_KEY_PATTERN = /^amk_live_[0-9A-Za-z]{49}$/;
/** The display prefix stored in clear: the URN prefix and 4 random characters (~24 bits, nothing to guess with). */
const DISPLAY_CHARS = API_KEY_PREFIX.length + 4;

function base62(value: bigint, width: number): string {
  let out = '';
  let v = value;
  while (v > 0n) {
    out = ALPHABET[Number(v % 62n)]! + out;
    v /= 62n;
  }
  return out.padStart(width, '0');
}

function checksumOf(random: string): string {
  return base62(BigInt(crc32(random)), CHECKSUM_CHARS);
}

/** A new key: shown to its owner once, never stored. */
export function generateApiKey(): string {
  const random = base62(BigInt(`0x${randomBytes(RANDOM_BYTES).toString('hex')}`), RANDOM_CHARS);
  return `${API_KEY_PREFIX}${random}${checksumOf(random)}`;
}

/**
 * Whether `value` is shaped like a key and its checksum matches: the cheap, offline first check
 * (no hash, no database) that a guess or a truncated paste fails.
 */
export function isWellFormedApiKey(value: string): boolean {
  if (value.length !== API_KEY_LENGTH || !API_KEY_PATTERN.test(value)) return false;
  const random = value.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + RANDOM_CHARS);
  return value.slice(API_KEY_PREFIX.length + RANDOM_CHARS) === checksumOf(random);
}

/** The non-secret first characters kept for listing and for grepping logs or a leaked file. */
export function displayPrefixOf(key: string): string {
  return key.slice(0, DISPLAY_CHARS);
}
