import { AUDIENCE_PATTERN, CLIENT_ID_PATTERN, JTI_PATTERN, SCOPE_TOKEN_PATTERN } from './identifiers.js';
import { CLIENT_GRANT_TYPES, GRANT_TOKEN_EXCHANGE, GRANT_TYPE_URN_PREFIX, TOKEN_TYPE_ACCESS_TOKEN } from './oauth.js';

describe('shared identifier rules', () => {
  it('accepts a client id of 1-64 of A-Z a-z 0-9 . _ - and nothing else', () => {
    expect(['a', 'orders', 'svc.v2_x-1', 'x'.repeat(64)].every((id) => CLIENT_ID_PATTERN.test(id))).toBe(true);
    expect(['', 'x'.repeat(65), 'a b', 'a:b', 'é', 'a/b'].some((id) => CLIENT_ID_PATTERN.test(id))).toBe(false);
  });

  it('accepts an RFC 6749 scope-token: visible ASCII except space, " and \\', () => {
    expect(['orders:read', 'auth:admin', '!#[]~'].every((s) => SCOPE_TOKEN_PATTERN.test(s))).toBe(true);
    expect(['', 'a b', 'a"b', 'a\\b', 'é'].some((s) => SCOPE_TOKEN_PATTERN.test(s))).toBe(false);
  });

  it('accepts an audience of 1-256 visible ASCII characters', () => {
    expect(AUDIENCE_PATTERN.test('https://orders.example/api')).toBe(true);
    expect(['', 'a b', 'x'.repeat(257)].some((a) => AUDIENCE_PATTERN.test(a))).toBe(false);
  });

  it('accepts a jti of 1-128 URL-safe characters', () => {
    expect(JTI_PATTERN.test('Zq3_-.~x')).toBe(true);
    expect(['', 'a/b', 'x'.repeat(129)].some((j) => JTI_PATTERN.test(j))).toBe(false);
  });
});

describe('OAuth names', () => {
  it('spells the RFC 8693 URNs as registered', () => {
    // The literal is the thing asserted here: IANA's registry spelling.
    expect(GRANT_TOKEN_EXCHANGE).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(TOKEN_TYPE_ACCESS_TOKEN).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(GRANT_TOKEN_EXCHANGE.startsWith(GRANT_TYPE_URN_PREFIX)).toBe(true);
    expect(CLIENT_GRANT_TYPES).toEqual(['client_credentials', GRANT_TOKEN_EXCHANGE, 'authorization_code', 'refresh_token']);
  });
});
