import { AuthorizePageError } from './authorize.errors.js';
import { checkedReturnTo } from './return-to.js';

describe('return_to (no open redirect)', () => {
  const origins = new Set(['https://app.test', 'http://127.0.0.1:3000']);
  it('accepts a URL on a registered origin, and nothing', () => {
    expect(checkedReturnTo('https://app.test/account', origins)).toBe('https://app.test/account');
    expect(checkedReturnTo(undefined, origins)).toBeUndefined();
  });
  it.each([
    'https://evil.test/',
    '//evil.test/',
    '/relative',
    'javascript:alert(1)',
    'https://app.test.evil.test/',
    'https://u:p@app.test/',
  ])('refuses %s', (value) => expect(() => checkedReturnTo(value, origins)).toThrow(AuthorizePageError));
});
