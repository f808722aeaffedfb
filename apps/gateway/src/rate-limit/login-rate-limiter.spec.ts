import { limitedPathOf } from './login-rate-limiter.js';

describe('the path a login budget is keyed on', () => {
  it('is the path without its query', () => {
    expect(limitedPathOf('/oauth/token?grant_type=x')).toBe('/oauth/token');
  });

  it('cannot be dodged with percent-escapes or a trailing slash', () => {
    expect(limitedPathOf('/auth/%6Cogin')).toBe('/auth/login');
    expect(limitedPathOf('/auth/login/')).toBe('/auth/login');
    expect(limitedPathOf('/session/login//?x')).toBe('/session/login');
  });

  it('resolves dot segments exactly as the proxy builds the upstream URL (WHATWG URL)', () => {
    for (const url of ['/auth/./login', '/auth/%2e/login', '/auth/%2E/login', '/auth/x/../login', '/auth/.\\login', '/auth/login/.'])
      expect(limitedPathOf(url)).toBe('/auth/login');
    expect(limitedPathOf('/oauth/./token')).toBe('/oauth/token');
    expect(limitedPathOf('/oauth/%2e/token?x=1')).toBe('/oauth/token');
    expect(limitedPathOf('/auth/login#frag')).toBe('/auth/login');
    expect(limitedPathOf('/auth//login')).toBe('/auth/login');
  });

  it('keeps a malformed escape as it is', () => {
    expect(limitedPathOf('/auth/%E0%A4%A')).toBe('/auth/%E0%A4%A');
    expect(limitedPathOf('/')).toBe('/');
  });
});
