import { safeReturnTo } from './return-to.js';

describe('safeReturnTo', () => {
  it.each(['/', '/account', '/orders?page=2', '/a/b#section'])('keeps the same-origin path %j', (path) => {
    expect(safeReturnTo(path)).toBe(path);
  });

  it.each([
    ['scheme-relative', '//evil.example/path'],
    ['backslash', '/\\evil.example'],
    ['backslash later', '/a\\..\\..\\evil'],
    ['absolute URL', 'https://evil.example/'],
    ['javascript URL', 'javascript:alert(1)'],
    ['relative path', 'account'],
    ['tab that browsers strip', '/\t/evil.example'],
    ['newline', '/\n/evil.example'],
    ['encoded nothing special but too long', `/${'a'.repeat(2000)}`],
    ['empty', ''],
  ])('turns a %s (%j) into /', (_what, raw) => {
    expect(safeReturnTo(raw)).toBe('/');
  });

  it('turns a missing or repeated parameter into /', () => {
    expect(safeReturnTo(undefined)).toBe('/');
    expect(safeReturnTo(['/a', '/b'])).toBe('/');
  });

  it('normalises dot segments, keeping the path on this origin', () => {
    expect(safeReturnTo('/a/../../account')).toBe('/account');
  });
});
