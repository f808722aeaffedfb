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

  it('keeps a malformed escape as it is', () => {
    expect(limitedPathOf('/auth/%E0%A4%A')).toBe('/auth/%E0%A4%A');
    expect(limitedPathOf('/')).toBe('/');
  });
});
