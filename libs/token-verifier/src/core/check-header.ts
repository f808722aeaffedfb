import { TokenBadAlgorithmError, TokenMalformedError, TokenUnknownKeyError, TokenWrongTypeError, quoteForLog } from './errors.js';

/** The only algorithm we accept. */
export const ACCEPTED_ALGORITHM = 'RS256';

/** Longest `kid` we look up; real ones are short, and the value goes into logs. */
const MAX_KID_LENGTH = 256;

/**
 * Checks the protected header and returns the `kid` to look up. Header members that would let the
 * token choose its own key (`jku`, `x5u`, `jwk`, `x5c`) are never read: keys come only from the
 * cached JWKS.
 */
export function checkHeader(header: Readonly<Record<string, unknown>>): string {
  // RFC 8725 §3.1: never let the token choose the algorithm. The key type is fixed (RSA), so
  // `none`, HS256-with-the-public-key-as-secret and RS/PS variants are all refused here.
  if (header.alg !== ACCEPTED_ALGORITHM) throw new TokenBadAlgorithmError(`alg ${quoteForLog(header.alg)} is not ${ACCEPTED_ALGORITHM}`);

  // RFC 7515 §4.1.11: a recipient MUST reject a JWS whose `crit` lists an extension it does not
  // understand. We understand none, so only an absent (or empty) `crit` passes.
  const crit = header.crit;
  if (crit !== undefined && !(Array.isArray(crit) && crit.length === 0)) {
    throw new TokenMalformedError(`unsupported critical header parameters ${quoteForLog(crit)}`);
  }

  // RFC 9068 §4: resource servers MUST verify that typ is "at+jwt" or "application/at+jwt" and
  // reject any other value (media types compare case-insensitively, RFC 2045 §5.1). This is what
  // stops an ID token or another JWT from this issuer being replayed as an access token.
  const typ = header.typ;
  if (typeof typ !== 'string' || !isAccessTokenType(typ)) throw new TokenWrongTypeError(`typ ${quoteForLog(typ)} is not at+jwt`);

  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0) throw new TokenUnknownKeyError('kid header is missing');
  if (kid.length > MAX_KID_LENGTH) throw new TokenMalformedError(`kid is ${kid.length} characters long`);
  return kid;
}

function isAccessTokenType(typ: string): boolean {
  if (typ.length === 6) return typ === 'at+jwt' || typ.toLowerCase() === 'at+jwt';
  return typ.length === 18 && typ.toLowerCase() === 'application/at+jwt';
}
