import { TokenRevokedError, type AccessTokenClaims } from '@authmesh/token-verifier';
import { RevocationUnavailableError } from '../errors.js';
import { MirrorRevocationChecker, type RevocationCheckOutcome } from './mirror-revocation-checker.js';
import { RevocationMirror } from './revocation-mirror.js';

describe('MirrorRevocationChecker', () => {
  const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  let nowMs: number;
  let outcomes: RevocationCheckOutcome[];
  let errors: string[];
  const claims = (over: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
    iss: 'http://auth.test',
    sub: 'u-1',
    aud: 'orders',
    exp: T0 / 1000 + 300,
    iat: T0 / 1000 - 10,
    jti: 'j-1',
    client_id: 'web',
    ...over,
  });
  function setup(outagePolicy: 'reject' | 'accept') {
    const mirror = new RevocationMirror({ clockToleranceSeconds: 30, now: () => nowMs });
    const checker = new MirrorRevocationChecker(mirror, {
      maxStalenessSeconds: 30,
      outagePolicy,
      now: () => nowMs,
      record: (o) => outcomes.push(o),
      logger: { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
    });
    mirror.markFresh(T0);
    return { mirror, checker };
  }

  beforeEach(() => {
    nowMs = T0;
    outcomes = [];
    errors = [];
  });

  it('passes a token that is not revoked, with no allocation-heavy work (returns undefined, not a promise)', () => {
    const { checker } = setup('reject');
    expect(checker.check(claims())).toBeUndefined();
    expect(outcomes).toEqual(['ok']);
  });

  it('rejects a blocklisted jti and a token of a revoked subject with TokenRevokedError', () => {
    const { mirror, checker } = setup('reject');
    mirror.apply({ kind: 'jti', jti: 'j-1', expiresAtMs: T0 + 300_000 });
    mirror.apply({ kind: 'sub', sub: 'u-2', revokedAtMs: T0 });
    expect(() => checker.check(claims())).toThrow(TokenRevokedError);
    expect(() => checker.check(claims({ jti: 'j-2', sub: 'u-2' }))).toThrow(TokenRevokedError);
    expect(outcomes).toEqual(['revoked_token', 'revoked_subject']);
  });

  it('keeps accepting within REVOCATION_MAX_STALENESS_S, then answers 503 revocation_unavailable under reject', () => {
    const { checker } = setup('reject');
    nowMs = T0 + 30_000;
    expect(() => checker.check(claims())).not.toThrow();
    nowMs = T0 + 30_001;
    let error: unknown;
    try {
      checker.check(claims());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RevocationUnavailableError);
    expect(error).toMatchObject({ code: 'revocation_unavailable', status: 503, headers: { 'retry-after': '5' } });
    expect(checker.status()).toMatchObject({ fresh: false, stalenessSeconds: 30, policy: 'reject' });
    expect(outcomes).toEqual(['ok', 'stale_rejected']);
  });

  it('still refuses a token it knows is revoked while the data is stale', () => {
    const { mirror, checker } = setup('accept');
    mirror.apply({ kind: 'jti', jti: 'j-1', expiresAtMs: T0 + 300_000 });
    nowMs = T0 + 60_000;
    expect(() => checker.check(claims())).toThrow(TokenRevokedError);
  });

  it('under accept, lets tokens through past the bound and logs an error at most every 10 s', () => {
    const { checker } = setup('accept');
    nowMs = T0 + 31_000;
    checker.check(claims());
    checker.check(claims());
    nowMs = T0 + 41_000;
    checker.check(claims());
    expect(outcomes).toEqual(['stale_accepted', 'stale_accepted', 'stale_accepted']);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^FAIL-OPEN/);
  });

  it('rejects under reject before the first sync ever completed', () => {
    const mirror = new RevocationMirror({ clockToleranceSeconds: 30, now: () => nowMs });
    const checker = new MirrorRevocationChecker(mirror, { maxStalenessSeconds: 30, outagePolicy: 'reject', now: () => nowMs });
    expect(() => checker.check(claims())).toThrow(RevocationUnavailableError);
    expect(checker.status().stalenessSeconds).toBeNull();
  });
});
