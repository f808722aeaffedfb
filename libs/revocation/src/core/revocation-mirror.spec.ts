import { RevocationMirror } from './revocation-mirror.js';

describe('RevocationMirror', () => {
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  let nowMs: number;
  const mirror = (): RevocationMirror => new RevocationMirror({ clockToleranceSeconds: 30, now: () => nowMs });
  const claims = (over: Partial<{ jti: string; sub: string; iat: number }> = {}) => ({
    jti: 'j-1',
    sub: 'u-1',
    iat: T0 / 1000 - 10,
    ...over,
  });

  beforeEach(() => {
    nowMs = T0;
  });

  it('reports a blocklisted jti as a token revocation and leaves other jtis alone', () => {
    const m = mirror();
    expect(m.apply({ kind: 'jti', jti: 'j-1', expiresAtMs: T0 + 60_000 })).toBe(true);
    expect(m.revocationOf(claims())).toBe('token');
    expect(m.revocationOf(claims({ jti: 'j-2' }))).toBeUndefined();
  });

  it('revokes tokens of a subject issued at or before the revocation, not after it', () => {
    const m = mirror();
    m.apply({ kind: 'sub', sub: 'u-1', revokedAtMs: T0 });
    expect(m.revocationOf(claims({ iat: T0 / 1000 - 1 }))).toBe('subject');
    expect(m.revocationOf(claims({ iat: T0 / 1000 }))).toBe('subject');
    expect(m.revocationOf(claims({ iat: T0 / 1000 + 1 }))).toBeUndefined();
    expect(m.revocationOf(claims({ sub: 'u-2' }))).toBeUndefined();
  });

  it('counts a token issued in the same second as a subject revocation as revoked (iat has whole seconds)', () => {
    const m = mirror();
    m.apply({ kind: 'sub', sub: 'u-1', revokedAtMs: T0 + 400 });
    expect(m.revocationOf(claims({ iat: T0 / 1000 }))).toBe('subject');
  });

  it('keeps the latest subject timestamp whatever order revocations arrive in', () => {
    const m = mirror();
    m.apply({ kind: 'sub', sub: 'u-1', revokedAtMs: T0 + 5000 });
    expect(m.apply({ kind: 'sub', sub: 'u-1', revokedAtMs: T0 })).toBe(false);
    expect(m.revocationOf(claims({ iat: T0 / 1000 + 4 }))).toBe('subject');
  });

  it('ignores a jti whose token is past exp plus tolerance, and sweeps entries once they are', () => {
    const m = mirror();
    expect(m.apply({ kind: 'jti', jti: 'dead', expiresAtMs: T0 - 31_000 })).toBe(false);
    m.apply({ kind: 'jti', jti: 'j-1', expiresAtMs: T0 + 1000 });
    m.apply({ kind: 'sub', sub: 'u-1', revokedAtMs: T0 });
    expect(m.size).toEqual({ jti: 1, sub: 1, kid: 0 });
    nowMs = T0 + 31_000;
    expect(m.sweep()).toBe(1);
    expect(m.size).toEqual({ jti: 0, sub: 1, kid: 0 });
    nowMs = T0 + 3_630_000; // 1 h (longest token) + tolerance after the subject revocation
    expect(m.sweep()).toBe(1);
    expect(m.size).toEqual({ jti: 0, sub: 0, kid: 0 });
  });

  it('is infinitely stale before the first sync, fresh from the last sync, and never stale when live', () => {
    const m = mirror();
    expect(m.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    m.markFresh(T0 - 1500);
    expect(m.stalenessMs()).toBe(1500);
    m.markFresh(T0 - 5000); // an older proof never moves freshness back
    expect(m.stalenessMs()).toBe(1500);
    m.markLive();
    nowMs = T0 + 10 ** 9;
    expect(m.stalenessMs()).toBe(0);
  });

  it('announces a revoked signing key once (stream event or full read), to listeners present and future, and a key-set change each time', () => {
    const m = mirror();
    const seen: string[] = [];
    m.onSigningKeyEvent((e) => seen.push(e.type === 'revoked' ? `revoked ${e.kid}` : 'changed'));
    expect(m.apply({ kind: 'kid', kid: 'k-1', revokedAtMs: T0 })).toBe(true);
    expect(m.apply({ kind: 'kid', kid: 'k-1', revokedAtMs: T0 })).toBe(false); // a full read sees it again
    m.apply({ kind: 'keyset', issuer: 'https://auth.example', changedAtMs: T0 });
    expect(seen).toEqual(['revoked k-1', 'changed']);
    expect(m.size.kid).toBe(1);
    const late: string[] = [];
    m.onSigningKeyEvent((e) => late.push(e.type === 'revoked' ? e.kid : 'changed'));
    expect(late).toEqual(['k-1']);
    nowMs = T0 + 3_630_000;
    m.sweep();
    expect(m.size.kid).toBe(0);
  });
});
