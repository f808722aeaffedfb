import { bearerTokenFromRawHeaders } from './bearer-token.js';
import { MultipleCredentialsError, TokenMalformedError, TokenMissingError } from './errors.js';

const parse = (...raw: string[]) => bearerTokenFromRawHeaders(raw);

describe('bearerTokenFromRawHeaders', () => {
  it('takes the token after a case-insensitive Bearer scheme', () => {
    expect(parse('Host', 'x', 'Authorization', 'Bearer a.b.c')).toBe('a.b.c');
    expect(parse('authorization', 'bEaReR   a.b.c')).toBe('a.b.c');
  });

  it('treats no Authorization header as missing credentials', () => {
    expect(() => parse('Host', 'x')).toThrow(TokenMissingError);
  });

  it.each(['Basic dXNlcjpwYXNz', 'Token a.b.c', 'DPoP a.b.c', 'Bearerx a.b.c', ''])(
    'treats the %j scheme as missing credentials (RFC 6750 §3.1)',
    (value) => {
      expect(() => parse('Authorization', value)).toThrow(TokenMissingError);
    },
  );

  it('rejects the Bearer scheme with no token', () => {
    expect(() => parse('Authorization', 'Bearer')).toThrow(TokenMalformedError);
    expect(() => parse('Authorization', 'Bearer ')).toThrow(TokenMalformedError);
  });

  it('rejects two Authorization headers', () => {
    expect(() => parse('Authorization', 'Bearer a.b.c', 'AUTHORIZATION', 'Bearer d.e.f')).toThrow(MultipleCredentialsError);
  });

  it('leaves a second credential in the token for the strict JWS parser to reject', () => {
    expect(parse('Authorization', 'Bearer a.b.c d.e.f')).toBe('a.b.c d.e.f');
  });
});
