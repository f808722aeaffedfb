import { normalizeHtu } from './normalize-htu.js';

describe('normalizeHtu', () => {
  it.each([
    ['HTTPS://Auth.Example/oauth/token', 'https://auth.example/oauth/token'],
    ['https://auth.example:443/oauth/token', 'https://auth.example/oauth/token'],
    ['http://auth.example:80/x', 'http://auth.example/x'],
    ['http://auth.example:8443/x', 'http://auth.example:8443/x'],
    ['https://auth.example', 'https://auth.example/'],
    ['https://auth.example/a/../oauth/./token', 'https://auth.example/oauth/token'],
    ['https://auth.example/oauth/token?grant_type=x#frag', 'https://auth.example/oauth/token'],
    ['https://auth.example/%7euser/%2fa%3f', 'https://auth.example/~user/%2Fa%3F'],
    ['https://auth.example/%61%62c', 'https://auth.example/abc'],
  ])('normalises %s as RFC 3986 §6.2.2-6.2.3 and RFC 9449 §4.3 say', (input, output) => {
    expect(normalizeHtu(input)).toBe(output);
  });

  it('keeps userinfo, so a URL with credentials is not taken for one without', () => {
    expect(normalizeHtu('https://u:p@auth.example/')).toBe('https://u:p@auth.example/');
  });

  it('throws for what is not an absolute http(s) URL', () => {
    for (const bad of ['/oauth/token', 'urn:ietf:x', 'ftp://auth.example/', 'not a url'])
      expect(() => normalizeHtu(bad)).toThrow(TypeError);
  });
});
