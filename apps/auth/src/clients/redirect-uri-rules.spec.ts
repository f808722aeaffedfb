import { MAX_REDIRECT_URIS, isRegisteredRedirectUri, redirectUriListProblems, redirectUriProblems } from './redirect-uri-rules.js';

describe('redirectUriProblems', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=1',
    'http://localhost:8080/cb',
    'http://127.0.0.1/cb',
    'http://[::1]:9000/',
  ])('accepts %s', (uri) => expect(redirectUriProblems(uri)).toEqual([]));

  it.each([
    ['http://app.example.com/cb', /not loopback/],
    ['http://127.0.0.2/cb', /not loopback/],
    ['https://*.example.com/cb', /wildcards/],
    ['https://app.example.com/cb#frag', /fragment/],
    ['/relative/cb', /absolute/],
    ['javascript:alert(1)', /must be https/],
    ['myapp://cb', /must be https/],
    ['https://user:pw@app.example.com/cb', /credentials/],
    ['https://app.example.com/c b', /whitespace/],
    [`https://app.example.com/${'a'.repeat(2000)}`, /longer than 2000/],
  ])('refuses %s', (uri, problem) => {
    const problems = redirectUriProblems(uri);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('limits a list to 20 URIs without repeats', () => {
    const many = Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://a.example.com/${i}`);
    expect(redirectUriListProblems(many)).toEqual(['redirectUris has 21 URIs: at most 20']);
    expect(redirectUriListProblems(['https://a.example.com/', 'https://a.example.com/'])).toEqual(['redirectUris repeats a URI']);
    expect(redirectUriListProblems(many.slice(0, 20))).toEqual([]);
  });

  it('matches exactly: no trailing slash, query, case or encoding leeway', () => {
    const registered = ['https://app.example.com/cb'];
    expect(isRegisteredRedirectUri(registered, 'https://app.example.com/cb')).toBe(true);
    for (const near of [
      'https://app.example.com/cb/',
      'https://app.example.com/cb?x=1',
      'https://APP.example.com/cb',
      'https://app.example.com/%63b',
      'https://app.example.com:443/cb',
    ])
      expect(isRegisteredRedirectUri(registered, near)).toBe(false);
  });
});
