const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Spellings of `token`'s signature that Node's lenient base64url decoder turns into the same bytes
 * (RFC 7515 §2 allows exactly one). The token's signature must contain `-` and `_` (see
 * `withUrlSafeSignature`) and be of a length with unused trailing bits (RSA-2048: 342 chars).
 */
export function nonCanonicalVariants(token: string): [name: string, token: string][] {
  const dot = token.lastIndexOf('.');
  const input = token.slice(0, dot);
  const sig = token.slice(dot + 1);
  if (!sig.includes('-') || !sig.includes('_')) throw new Error('the signature needs a "-" and a "_" to substitute');
  if (sig.length % 4 === 0) throw new Error('the signature has no unused trailing bits');
  const last = ALPHABET.indexOf(sig[sig.length - 1]!);
  return [
    ['non-zero trailing bits in the last character', `${input}.${sig.slice(0, -1)}${ALPHABET[last | 1]}`],
    ['"+" in place of "-"', `${input}.${sig.replace('-', '+')}`],
    ['"/" in place of "_"', `${input}.${sig.replace('_', '/')}`],
    ['"=" padding', `${input}.${sig}${'='.repeat(4 - (sig.length % 4))}`],
    ['one "=" too many', `${input}.${sig}=`],
  ];
}

/** Calls `sign` (fresh jti each time) until the signature holds both `-` and `_` (~1.01 tries on average). */
export function withUrlSafeSignature(sign: () => string): string {
  for (let i = 0; i < 100; i++) {
    const token = sign();
    const sig = token.slice(token.lastIndexOf('.') + 1);
    if (sig.includes('-') && sig.includes('_')) return token;
  }
  throw new Error('no signature with both "-" and "_" in 100 tries');
}
