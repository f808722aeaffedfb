/** The fewest characters an operator-supplied client secret may have. */
export const MIN_CLIENT_SECRET_LENGTH = 32;
/** The least entropy it must carry by the estimate below: what a generated secret has at least (auth's own have 256 bits). */
export const MIN_CLIENT_SECRET_BITS = 128;

/** Hex digits of one case, maybe `-`-separated, with at least one letter (digits alone are decimal: 10 symbols, not 16). */
const HEX_SHAPED = /^(?=.*[a-fA-F])(?:[0-9a-f]+(?:-[0-9a-f]+)*|[0-9A-F]+(?:-[0-9A-F]+)*)$/;
const CLASSES: readonly { test: RegExp; size: number }[] = [
  { test: /[a-z]/, size: 26 },
  { test: /[A-Z]/, size: 26 },
  { test: /[0-9]/, size: 10 },
  // Anything else counts as one of the 33 printable ASCII symbols (space included): generous to
  // non-ASCII, which no generator we know emits.
  { test: /[^a-zA-Z0-9]/, size: 33 },
];

/**
 * An upper estimate of a secret's entropy: characters × log2 of the alphabet its character classes
 * span, as if each character were drawn uniformly from it. Hex (`openssl rand -hex`, a UUID) counts
 * 4 bits per hex digit: its 16 symbols would otherwise be scored as the 36 of lower case and digits.
 * It can only tell a secret that can't hold 128 bits (too short, one character class) from one that
 * might; it can't see that a long secret was typed by a person. zxcvbn-style estimators answer a
 * different question (how a person picks a password) and are not installed here; a client secret is
 * meant to come from a random generator, which this rule lets through, every time.
 */
export function estimatedSecretBits(secret: string): { bits: number; alphabet: number } {
  const chars = [...secret];
  if (HEX_SHAPED.test(secret)) {
    const digits = chars.filter((c) => c !== '-').length;
    return { bits: digits * 4, alphabet: 16 };
  }
  const alphabet = CLASSES.filter((c) => c.test.test(secret)).reduce((sum, c) => sum + c.size, 0);
  return { bits: alphabet > 1 ? chars.length * Math.log2(alphabet) : 0, alphabet };
}

/**
 * Why an operator-supplied client secret (AUTH_SEED_CLIENTS) is too weak; empty when it is not. A
 * client secret is checked with a keyed fast hash (HMAC-SHA-256), not a password hash, so it must be
 * unguessable by itself: at least 32 characters, an estimated 128 bits or more, and not low-diversity
 * (fewer distinct characters than 16, or than half the alphabet for hex: `aaaa…`, a repeated word).
 * The problems never quote the secret.
 */
export function clientSecretProblems(secret: string): string[] {
  const problems: string[] = [];
  const length = [...secret].length;
  if (length < MIN_CLIENT_SECRET_LENGTH) problems.push(`secret must be at least ${MIN_CLIENT_SECRET_LENGTH} characters (it has ${length})`);
  const { bits, alphabet } = estimatedSecretBits(secret);
  if (bits < MIN_CLIENT_SECRET_BITS)
    problems.push(`secret must carry at least ${MIN_CLIENT_SECRET_BITS} bits of entropy (estimated ${Math.floor(bits)})`);
  const distinct = new Set(secret).size;
  const minDistinct = Math.min(16, Math.floor(alphabet / 2));
  if (distinct < minDistinct) problems.push(`secret must have at least ${minDistinct} distinct characters (it has ${distinct})`);
  if (problems.length) problems.push('generate one with: openssl rand -base64 32');
  return problems;
}
