import { forwardedForProof, isForwardedForProofValid } from './forwarded-for-proof.js';

const SECRET = 'a-secret-of-at-least-32-characters!!';
const NOW = 1_800_000_000_000;

describe('the forwarded-for proof', () => {
  it('holds for the address it was made for, with the secret it was made with', () => {
    const proof = forwardedForProof(SECRET, '203.0.113.5', NOW);
    expect(isForwardedForProofValid(SECRET, '203.0.113.5', proof, NOW)).toBe(true);
    expect(isForwardedForProofValid(SECRET, '203.0.113.6', proof, NOW)).toBe(false);
    expect(isForwardedForProofValid(`${SECRET}x`, '203.0.113.5', proof, NOW)).toBe(false);
  });

  it('expires 30 s either side of its timestamp (a proof read from a log cannot be replayed later)', () => {
    const proof = forwardedForProof(SECRET, '203.0.113.5', NOW);
    expect(isForwardedForProofValid(SECRET, '203.0.113.5', proof, NOW + 30_000)).toBe(true);
    expect(isForwardedForProofValid(SECRET, '203.0.113.5', proof, NOW + 31_000)).toBe(false);
    expect(isForwardedForProofValid(SECRET, '203.0.113.5', proof, NOW - 31_000)).toBe(false);
  });

  it('refuses anything malformed', () => {
    for (const bad of ['', 'x', '1.2', `${NOW / 1000}.${'A'.repeat(42)}`, `a.${'A'.repeat(43)}`, `${NOW / 1000}.${'A'.repeat(43)}`])
      expect(isForwardedForProofValid(SECRET, '203.0.113.5', bad, NOW)).toBe(false);
  });
});
