import { randomBytes, randomUUID } from 'node:crypto';
import { clientSecretProblems, estimatedSecretBits } from './client-secret-rules.js';

describe('client secret rule (operator-supplied secrets carry 128 bits, as generated ones do)', () => {
  it.each([
    ['openssl rand -base64 32', () => randomBytes(32).toString('base64')],
    ['openssl rand -base64 24', () => randomBytes(24).toString('base64')],
    ['32 random bytes, base64url (what auth generates)', () => randomBytes(32).toString('base64url')],
    ['openssl rand -hex 16', () => randomBytes(16).toString('hex')],
    ['openssl rand -hex 32', () => randomBytes(32).toString('hex')],
    ['openssl rand -hex 16, upper case', () => randomBytes(16).toString('hex').toUpperCase()],
  ])('accepts every secret of a random generator: %s (2,000 draws)', (_label, draw) => {
    for (let i = 0; i < 2000; i++) expect(clientSecretProblems(draw())).toEqual([]);
  });

  it('refuses a secret shorter than 32 characters, saying how long it is', () => {
    expect(clientSecretProblems('orders-secret-0123456789')).toEqual([
      'secret must be at least 32 characters (it has 24)',
      'generate one with: openssl rand -base64 32',
    ]);
  });

  it('refuses a long secret of low diversity: one character, a repeated word', () => {
    expect(clientSecretProblems('a'.repeat(40))).toContain('secret must have at least 8 distinct characters (it has 1)');
    expect(clientSecretProblems('deadbeef'.repeat(5))).toContain('secret must have at least 8 distinct characters (it has 5)');
    expect(clientSecretProblems('password'.repeat(5))).toContain('secret must have at least 13 distinct characters (it has 7)');
    expect(clientSecretProblems('Summer2026!'.repeat(3))).toContain('secret must have at least 16 distinct characters (it has 9)');
  });

  it('refuses a long secret whose character classes can not hold 128 bits (38 digits: 126 bits)', () => {
    expect(estimatedSecretBits('0123456789'.repeat(3) + '01234567').bits).toBeCloseTo(126.2, 1);
    expect(clientSecretProblems('0123456789'.repeat(3) + '01234567')).toContain(
      'secret must carry at least 128 bits of entropy (estimated 126)',
    );
    expect(clientSecretProblems('0123456789'.repeat(3) + '012345678')).toEqual([]);
  });

  it('counts hex by its 16 symbols, 4 bits per digit (a UUID: 32 digits)', () => {
    expect(estimatedSecretBits(randomUUID())).toEqual({ bits: 128, alphabet: 16 });
    expect(estimatedSecretBits('abcdef0123456789')).toEqual({ bits: 64, alphabet: 16 });
    expect(estimatedSecretBits(`${'x'.repeat(16)}A1!`).alphabet).toBe(95);
  });

  it('never quotes the secret in a problem', () => {
    const weak = 'hunter2hunter2';
    expect(clientSecretProblems(weak).join(' ')).not.toContain(weak);
  });
});
