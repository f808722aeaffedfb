import type { KeyView } from '@authmesh/contracts';
import { isoSeconds, keysTable, revocationLines, rotateLines } from './format.js';

const base: KeyView = {
  kid: 'kid-active',
  state: 'active',
  alg: 'RS256',
  bits: 2048,
  createdAt: '2026-11-25T10:00:00.123Z',
  activatesAt: null,
  activatedAt: '2026-11-25T10:00:00.500Z',
  retiringAt: null,
  retireAfter: null,
  retiredAt: null,
  revokedAt: null,
};

describe('human output', () => {
  it('prints timestamps as ISO 8601 to the second, and - when there is none', () => {
    expect(isoSeconds('2026-11-25T10:00:00.123Z')).toBe('2026-11-25T10:00:00Z');
    expect(isoSeconds(null)).toBe('-');
  });

  it('keys list is a table of kid, state, created, activates, retires', () => {
    const pending: KeyView = { ...base, kid: 'kid-pending', state: 'pending', activatedAt: null, activatesAt: '2026-11-25T10:10:00.000Z' };
    const revoked: KeyView = { ...base, kid: 'kid-revoked', state: 'revoked', revokedAt: '2026-11-25T09:00:00.000Z' };
    const lines = keysTable([pending, base, revoked]).split('\n');
    expect(lines[1]).toMatch(/kid\s+│ state\s+│ created\s+│ activates\s+│ retires/);
    const row = (kid: string): string[] =>
      lines
        .find((l) => l.includes(kid))!
        .split('│')
        .map((c) => c.trim())
        .filter(Boolean);
    expect(row('kid-pending')).toEqual(['kid-pending', 'pending', '2026-11-25T10:00:00Z', '2026-11-25T10:10:00Z', '-']);
    expect(row('kid-active')).toEqual(['kid-active', 'active', '2026-11-25T10:00:00Z', '2026-11-25T10:00:00Z', '-']);
    expect(row('kid-revoked')[4]).toBe('2026-11-25T09:00:00Z');
    // No ANSI colour codes: the output goes to pipes and CI logs too.
    expect(lines.join('\n')).not.toContain('\u001b[');
  });

  it('says when a planned rotation starts signing, and what --now left retiring', () => {
    const pending: KeyView = { ...base, kid: 'new', state: 'pending', activatedAt: null, activatesAt: '2026-11-25T10:10:00.000Z' };
    expect(rotateLines({ key: pending, previous: base })).toBe(
      'Key new is pending: published in the JWKS now, signs from 2026-11-25T10:10:00Z.\nKey kid-active keeps signing until then.',
    );
    const retiring: KeyView = { ...base, state: 'retiring', retireAfter: '2026-11-25T10:06:00.000Z' };
    expect(rotateLines({ key: { ...base, kid: 'new' }, previous: retiring })).toContain(
      'Previous key kid-active is retiring, published until 2026-11-25T10:06:00Z.',
    );
  });

  it('does not claim to revoke a token that has already expired', () => {
    const now = new Date('2026-11-25T12:00:00Z');
    expect(revocationLines({ jti: 'j1', exp: now.getTime() / 1000 - 1 }, now)).toMatch(/already expired/);
    expect(revocationLines({ jti: 'j1', exp: now.getTime() / 1000 + 60 }, now)).toBe(
      'Revoked token j1: refused everywhere until it expires at 2026-11-25T12:01:00Z.',
    );
  });
});
