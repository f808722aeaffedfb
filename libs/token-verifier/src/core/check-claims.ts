import type { AccessTokenClaims } from './claims.js';
import {
  TokenExpiredError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenWrongAudienceError,
  TokenWrongIssuerError,
  quoteForLog,
} from './errors.js';

/** What a verifying service expects of every token's claims. */
export interface ClaimRules {
  /** Exact `iss` (no normalisation: RFC 9068 §4 "MUST exactly match"). */
  readonly issuer: string;
  /** This service's audience; `aud` (a string or an array) must contain it. */
  readonly audience: string;
  /** Allowed clock skew for `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceSeconds: number;
}

/**
 * Validates the decoded claims set against `rules` at `nowSeconds` and returns it typed. The
 * structural checks come first (a claim of the wrong type is malformed), then the semantic ones in
 * jose's order (`src/lib/jwt_claims_set.ts`): issuer, audience, then time.
 */
export function checkClaims(payload: Record<string, unknown>, rules: ClaimRules, nowSeconds: number): AccessTokenClaims {
  const { iss, sub, aud, exp, iat, nbf, jti, client_id: clientId, scope } = payload;
  // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED.
  if (!isNumericDate(exp)) throw new TokenMalformedError('exp claim is missing or not a NumericDate');
  if (!isNumericDate(iat)) throw new TokenMalformedError('iat claim is missing or not a NumericDate');
  if (nbf !== undefined && !isNumericDate(nbf)) throw new TokenMalformedError('nbf claim is not a NumericDate');
  if (typeof sub !== 'string' || sub === '') throw new TokenMalformedError('sub claim is missing');
  if (typeof clientId !== 'string' || clientId === '') throw new TokenMalformedError('client_id claim is missing');
  if (typeof jti !== 'string' || jti === '') throw new TokenMalformedError('jti claim is missing');
  if (scope !== undefined && typeof scope !== 'string') throw new TokenMalformedError('scope claim is not a string');

  if (iss !== rules.issuer) throw new TokenWrongIssuerError(`iss ${quoteForLog(iss)} is not ${quoteForLog(rules.issuer)}`);
  if (!hasAudience(aud, rules.audience))
    throw new TokenWrongAudienceError(`aud ${quoteForLog(aud)} does not contain ${quoteForLog(rules.audience)}`);

  const tolerance = rules.clockToleranceSeconds;
  // RFC 7519 §4.1.4: the current time MUST be before exp.
  if (nowSeconds >= exp + tolerance) throw new TokenExpiredError(`exp ${exp} is before now ${Math.floor(nowSeconds)} - ${tolerance}s`);
  // RFC 7519 §4.1.5: the current time MUST be at or after nbf.
  if (nbf !== undefined && nbf > nowSeconds + tolerance)
    throw new TokenNotYetValidError(`nbf ${nbf} is after now ${Math.floor(nowSeconds)} + ${tolerance}s`);
  // A token "issued" in the future was minted by a clock we should not trust (or forged to outlive a revocation-since-iat).
  if (iat > nowSeconds + tolerance) throw new TokenNotYetValidError(`iat ${iat} is after now ${Math.floor(nowSeconds)} + ${tolerance}s`);

  if (Array.isArray(aud)) Object.freeze(aud);
  return Object.freeze(payload) as AccessTokenClaims;
}

/** Last second of year 9999: a bound no real token gets near, which keeps date arithmetic and formatting exact. */
const MAX_NUMERIC_DATE = 253_402_300_799;

/** RFC 7519 §2 NumericDate, within 1970-9999. */
function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= MAX_NUMERIC_DATE;
}

function hasAudience(aud: unknown, audience: string): boolean {
  if (typeof aud === 'string') return aud === audience;
  if (!Array.isArray(aud)) return false;
  let found = false;
  for (const a of aud) {
    if (typeof a !== 'string') return false;
    if (a === audience) found = true;
  }
  return found;
}
