import { API_KEY_LENGTH, API_KEY_PATTERN, displayPrefixOf, generateApiKey, isWellFormedApiKey } from './api-key-format.js';
import { addressAllowed, allowListProblems } from './address-allow-list.js';

describe('API key format', () => {
  it('generates amk_live_ keys of a fixed length that pass their own checksum', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    for (const key of keys) {
      expect(key).toMatch(API_KEY_PATTERN);
      expect(key).toHaveLength(API_KEY_LENGTH);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses a key with one character changed (the checksum catches typos offline)', () => {
    const key = generateApiKey();
    const i = 20;
    const changed = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
    expect(isWellFormedApiKey(changed)).toBe(false);
  });

  it('refuses a wrong prefix, a truncated key and characters outside base62', () => {
    const key = generateApiKey();
    expect(isWellFormedApiKey(key.replace('amk_live_', 'amk_test_'))).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${key.slice(0, -7)}-${key.slice(-6)}`)).toBe(false);
    expect(isWellFormedApiKey('')).toBe(false);
  });

  it('keeps only the prefix and 4 random characters for display', () => {
    const key = generateApiKey();
    expect(displayPrefixOf(key)).toBe(key.slice(0, 13));
    expect(displayPrefixOf(key).startsWith('amk_live_')).toBe(true);
  });
});

describe('API key address allow-list', () => {
  it('allows every address when empty and only listed ones otherwise', () => {
    expect(addressAllowed([], '198.51.100.7')).toBe(true);
    expect(addressAllowed(['203.0.113.0/24'], '203.0.113.9')).toBe(true);
    expect(addressAllowed(['203.0.113.0/24'], '198.51.100.7')).toBe(false);
    expect(addressAllowed(['2001:db8::/32'], '2001:db8::1')).toBe(true);
    expect(addressAllowed(['198.51.100.7'], '198.51.100.7')).toBe(true);
    expect(addressAllowed(['198.51.100.7'], undefined)).toBe(false);
  });

  it('names every entry that is not an address or CIDR block', () => {
    expect(allowListProblems(['10.0.0.0/8', '10.0.0.0/33', 'example.com'])).toEqual([
      '"10.0.0.0/33" is not an IP address or CIDR block',
      '"example.com" is not an IP address or CIDR block',
    ]);
  });
});
