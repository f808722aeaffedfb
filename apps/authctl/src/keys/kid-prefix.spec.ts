import type { KeyState, KeyView } from '@authmesh/contracts';
import { RefusedInputError, UsageError } from '../cli/errors.js';
import { assertRevocable, checkKidPrefix, resolveKid } from './kid-prefix.js';

const key = (kid: string, state: KeyState = 'active'): KeyView => ({
  kid,
  state,
  alg: 'RS256',
  bits: 2048,
  createdAt: '2026-11-25T10:00:00.000Z',
  activatesAt: null,
  activatedAt: null,
  retiringAt: null,
  retireAfter: null,
  retiredAt: null,
  revokedAt: null,
});

const KEYS = [key('Abcdefgh1111', 'pending'), key('Abcdefgh2222'), key('Zyxwvuts3333', 'retired'), key('Qwertyui')];

function refusal(fn: () => unknown): RefusedInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RefusedInputError);
    return e as RefusedInputError;
  }
  throw new Error('expected a RefusedInputError');
}

describe('kid prefixes', () => {
  it('resolves a unique prefix of at least 8 characters', () => {
    expect(resolveKid('Abcdefgh1', KEYS).kid).toBe('Abcdefgh1111');
    expect(resolveKid('Zyxwvuts', KEYS).kid).toBe('Zyxwvuts3333');
  });

  it('an exact kid wins even when it is also a prefix of a longer kid', () => {
    expect(resolveKid('Qwertyui', [...KEYS, key('Qwertyui-longer')]).kid).toBe('Qwertyui');
  });

  it('refuses an ambiguous prefix and lists the candidates', () => {
    const e = refusal(() => resolveKid('Abcdefgh', KEYS));
    expect(e.code).toBe('kid_ambiguous');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('Abcdefgh1111  pending');
    expect(e.message).toContain('Abcdefgh2222  active');
    expect(e.message).not.toContain('Zyxwvuts3333');
  });

  it('refuses an unknown prefix and lists the keys there are', () => {
    const e = refusal(() => resolveKid('Nothere1', KEYS));
    expect(e.code).toBe('kid_unknown');
    expect(e.message).toContain('no key matches "Nothere1"');
    expect(e.message).toContain('Zyxwvuts3333  retired');
  });

  it('refuses a prefix shorter than 8 characters or with characters a kid never has', () => {
    expect(() => checkKidPrefix('Abcdefg')).toThrow(UsageError);
    expect(() => checkKidPrefix('Abcdefgh/..')).toThrow(UsageError);
    expect(() => checkKidPrefix(undefined)).toThrow(UsageError);
    expect(checkKidPrefix(' Abcdefgh ')).toBe('Abcdefgh');
  });

  it('only pending, active and retiring keys can be revoked', () => {
    for (const state of ['pending', 'active', 'retiring'] as const) expect(() => assertRevocable(key('k', state))).not.toThrow();
    for (const state of ['retired', 'revoked'] as const)
      expect(refusal(() => assertRevocable(key('k', state))).code).toBe('key_not_revocable');
  });
});
