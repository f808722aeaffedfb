import { DpopTokenAsBearerError } from '../core/dpop/errors.js';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, type SecretOrKeyProvider, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { type AccessTokenClaims, type Principal, parseActorClaim, toPrincipal } from '../core/claims.js';
import { TokenMalformedError, TokenUnknownKeyError, TokenVerificationError } from '../core/errors.js';
import { decodeJsonSegment } from '../core/parse-compact-jws.js';
import type { RevocationChecker } from '../core/revocation.js';
import type { KeySource } from '../core/token-verifier.js';
import { InvalidTokenHttpError } from '../nest/http-errors.js';

/*
 * For services that keep passport-jwt (`JwtStrategy extends PassportStrategy(Strategy)`): our key
 * source instead of jwks-rsa's `passportJwtSecret`, and our revocation check in `validate`.
 *
 * What passport-jwt (jsonwebtoken underneath) cannot check, so a service on this path accepts
 * what `JwtAuthGuard` and `AuthmeshStrategy` refuse (e2e/hostile-tokens.e2e-spec.ts states each
 * as a test):
 * - `typ` (RFC 9068 §4: an ID token or any other JWT of the issuer passes as an access token);
 * - `crit` (RFC 7515 §4.1.11: jws ignores it, so a token demanding an extension we don't know passes);
 * - a size cap before parsing (jsonwebtoken decodes whatever fits in the request line);
 * - two Authorization headers (ExtractJwt reads Node's `headers`, which keeps only the first);
 * - the canonical signature spelling and RFC 9068's required claims (`validate` below adds the claims);
 * - stable error codes: every refusal is a bare 401 `Unauthorized` (passport-jwt calls `fail()`).
 * It also runs RSA on every request (no verified-token cache): decision 001 measured
 * jsonwebtoken at 59 % of a bare crypto.verify with a KeyObject, which is what this provider hands it.
 */

/** Longest `kid` looked up (as the core's header check). */
const MAX_KID_LENGTH = 256;

/**
 * A passport-jwt `secretOrKeyProvider` resolving the key by the header's `kid` from a `KeySource`
 * (the `JwksCache`: its single-flight refetch with a cooldown for unknown kids, stale-if-error up
 * to the staleness bound, revoked keys dropped). Pass `revocation` to have a revoked signing key
 * dropped at once and a key-set announcement of `issuer` refetch now, as `TokenVerifier` does.
 *
 * The key is the imported `KeyObject`, not a PEM: jsonwebtoken takes either (`@types/passport-jwt`
 * types only `string | Buffer`), and a PEM would be parsed again on every request (decision 001:
 * 12 % of a bare crypto.verify, against 59 % with the KeyObject).
 *
 * @example
 * super({ ...authmeshJwtStrategyOptions({ issuer, audience }), secretOrKeyProvider: authmeshSecretOrKeyProvider(jwks) });
 */
export function authmeshSecretOrKeyProvider(
  keys: KeySource,
  options: { readonly revocation?: RevocationChecker; readonly issuer?: string; readonly now?: () => number } = {},
): SecretOrKeyProvider {
  const now = options.now ?? Date.now;
  options.revocation?.onSigningKeyEvent?.((event) => {
    if (event.type === 'revoked') keys.revokeKey?.(event.kid);
    else if (event.issuer === options.issuer) keys.refreshNow?.();
  });
  return (_request, rawJwtToken, callback) => {
    // passport-jwt hands the key to jsonwebtoken.verify unchanged, which takes a KeyObject (see above).
    const done = callback as (err: unknown, key?: KeyObject) => void;
    let kid: string;
    try {
      kid = kidOf(rawJwtToken);
    } catch (e) {
      return done(e);
    }
    const key = keys.getKey(kid, now());
    if (key !== undefined) return done(null, key.keyObject);
    keys.resolveKey(kid).then(
      (resolved) => done(null, resolved.keyObject),
      (e: unknown) => done(e),
    );
  };
}

/** Only the `kid`: every other header rule is jsonwebtoken's (and missing, see above). */
function kidOf(token: unknown): string {
  if (typeof token !== 'string') throw new TokenMalformedError('no token');
  const headerEnd = token.indexOf('.');
  if (headerEnd <= 0) throw new TokenMalformedError('not a compact JWS');
  const { kid } = decodeJsonSegment(token, 0, headerEnd, 'header');
  if (typeof kid !== 'string' || kid === '' || kid.length > MAX_KID_LENGTH) throw new TokenUnknownKeyError('no usable kid in the header');
  return kid;
}

/**
 * passport-jwt's options as authmesh tokens need them: the bearer header, RS256 only (RFC 8725
 * §3.1: never let the token choose the algorithm), exact issuer, our audience. Add
 * `secretOrKeyProvider: authmeshSecretOrKeyProvider(jwks)`.
 */
export function authmeshJwtStrategyOptions(rules: {
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds?: number;
}): Omit<StrategyOptionsWithoutRequest, 'secretOrKey' | 'secretOrKeyProvider'> {
  return {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    algorithms: ['RS256'],
    issuer: rules.issuer,
    audience: rules.audience,
    jsonWebTokenOptions: { clockTolerance: rules.clockToleranceSeconds ?? 30 },
  };
}

/**
 * The `validate` of a passport-jwt strategy: checks RFC 9068's required claims (which
 * jsonwebtoken does not), then the revocation check (the same `RevocationChecker` the core runs:
 * jti, subject, outage policy), and returns the principal. A refusal is thrown as the HTTP error
 * `JwtAuthGuard` would answer (401 `token_revoked`, `token_malformed` with `WWW-Authenticate`):
 * passport-jwt hands a throwing `validate` to `error()`, which `AuthGuard` rethrows unchanged.
 *
 * @example
 * validate = authmeshValidate(revocationChecker);
 */
export function authmeshValidate(revocation: RevocationChecker): (payload: unknown) => Promise<Principal> {
  return async (payload: unknown) => {
    try {
      const claims = requiredClaims(payload);
      // passport-jwt reads Bearer tokens only: a key-bound token here was sent without its proof
      // (RFC 9449 §7.2), so it is refused as our guard refuses it.
      if (claims.cnf !== undefined) throw new DpopTokenAsBearerError('a token with cnf reached passport-jwt as Bearer');
      await revocation.check(claims);
      return toPrincipal(claims);
    } catch (e) {
      if (e instanceof TokenVerificationError) throw new InvalidTokenHttpError(e);
      throw e;
    }
  };
}

/** RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED (jsonwebtoken checked the values it knows). */
function requiredClaims(payload: unknown): AccessTokenClaims {
  if (typeof payload !== 'object' || payload === null) throw new TokenMalformedError('claims set is not an object');
  const p = payload as Record<string, unknown>;
  for (const name of ['iss', 'sub', 'client_id', 'jti'] as const) {
    if (typeof p[name] !== 'string' || p[name] === '') throw new TokenMalformedError(`${name} claim is missing`);
  }
  for (const name of ['exp', 'iat'] as const) {
    if (typeof p[name] !== 'number' || !Number.isFinite(p[name])) throw new TokenMalformedError(`${name} claim is missing`);
  }
  if (p.scope !== undefined && typeof p.scope !== 'string') throw new TokenMalformedError('scope claim is not a string');
  if (typeof p.aud !== 'string' && !Array.isArray(p.aud)) throw new TokenMalformedError('aud claim is missing');
  parseActorClaim(p.act);
  return p as AccessTokenClaims;
}
