import { credentialsFromRawHeaders } from './credentials.js';
import { DpopProofMalformedError, DpopProofMissingError } from './dpop/errors.js';
import { MultipleCredentialsError, TokenMalformedError, TokenMissingError } from './errors.js';

const parse = (...raw: string[]) => credentialsFromRawHeaders(raw);

describe('credentialsFromRawHeaders', () => {
  it('returns the bare token string for Bearer, ignoring a DPoP header next to it', () => {
    expect(parse('Authorization', 'Bearer a.b.c')).toBe('a.b.c');
    expect(parse('Authorization', 'Bearer a.b.c', 'DPoP', 'x.y.z')).toBe('a.b.c');
  });

  it('takes the token and the one proof of a case-insensitive DPoP scheme (RFC 9449 §7.1)', () => {
    expect(parse('authorization', 'dpop  a.b.c', 'DPoP', 'x.y.z')).toEqual({ token: 'a.b.c', proof: 'x.y.z' });
    expect(parse('DPOP', 'x.y.z', 'Authorization', 'DPoP a.b.c')).toEqual({ token: 'a.b.c', proof: 'x.y.z' });
  });

  it('rejects the DPoP scheme without a proof header (dpop_proof_missing)', () => {
    expect(() => parse('Authorization', 'DPoP a.b.c')).toThrow(DpopProofMissingError);
    expect(() => parse('Authorization', 'DPoP a.b.c', 'DPoP', '')).toThrow(DpopProofMissingError);
  });

  it('rejects two DPoP headers (RFC 9449 §4.3 check 1)', () => {
    expect(() => parse('Authorization', 'DPoP a.b.c', 'DPoP', 'x.y.z', 'dpop', 'x.y.z')).toThrow(DpopProofMalformedError);
  });

  it('rejects the DPoP scheme without a token', () => {
    expect(() => parse('Authorization', 'DPoP', 'DPoP', 'x.y.z')).toThrow(TokenMalformedError);
  });

  it('treats other schemes (DPoPx, Basic) and no Authorization as missing credentials', () => {
    expect(() => parse('Authorization', 'DPoPx a.b.c', 'DPoP', 'x.y.z')).toThrow(TokenMissingError);
    expect(() => parse('DPoP', 'x.y.z')).toThrow(TokenMissingError);
  });

  it('rejects two Authorization headers whatever their schemes', () => {
    expect(() => parse('Authorization', 'DPoP a.b.c', 'Authorization', 'Bearer a.b.c', 'DPoP', 'x')).toThrow(MultipleCredentialsError);
  });
});
