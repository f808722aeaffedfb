import { isWellFormedCodeVerifier, s256Challenge, verifiesS256 } from './pkce.js';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE S256', () => {
  it('computes the RFC 7636 Appendix B challenge', () => expect(s256Challenge(VERIFIER)).toBe(CHALLENGE));

  it('accepts the right verifier and refuses any other', () => {
    expect(verifiesS256(VERIFIER, CHALLENGE)).toBe(true);
    expect(verifiesS256(`${VERIFIER.slice(0, -1)}l`, CHALLENGE)).toBe(false);
    // `plain` would compare the verifier itself with the challenge: never accepted.
    expect(verifiesS256(CHALLENGE, CHALLENGE)).toBe(false);
    expect(verifiesS256(VERIFIER, `${CHALLENGE}=`)).toBe(false);
  });

  it('refuses verifiers outside RFC 7636 §4.1 (43-128 unreserved characters)', () => {
    expect(isWellFormedCodeVerifier('a'.repeat(42))).toBe(false);
    expect(isWellFormedCodeVerifier('a'.repeat(43))).toBe(true);
    expect(isWellFormedCodeVerifier('a'.repeat(128))).toBe(true);
    expect(isWellFormedCodeVerifier('a'.repeat(129))).toBe(false);
    expect(isWellFormedCodeVerifier(`${'a'.repeat(42)}+`)).toBe(false);
    expect(isWellFormedCodeVerifier(`${'a'.repeat(42)}~`)).toBe(true);
    const short = 'a'.repeat(42);
    expect(verifiesS256(short, s256Challenge(short))).toBe(false);
  });
});
