import {
  type JwksTestServer,
  type TestSigningKey,
  accessClaims,
  b64url,
  nonCanonicalVariants,
  signHs256,
  signRaw,
  signToken,
  unsignedToken,
  withUrlSafeSignature,
} from '@authmesh/testing';

/** What a hostile case is built from: our key, an attacker's, the attacker's JWKS, fresh claims for an audience. */
export interface HostileContext {
  readonly key: TestSigningKey;
  readonly attacker: TestSigningKey;
  /** The attacker's key under our kid. */
  readonly impostor: TestSigningKey;
  readonly attackerJwks: JwksTestServer;
  readonly issuer: string;
  /** The audience of the service under test. */
  readonly audience: string;
}

export interface HostileCase {
  readonly name: string;
  /** The request's Authorization headers (raw: two of them is a case). */
  readonly headers: (ctx: HostileContext) => [string, string][];
  /** What `JwtAuthGuard` (orders) and `AuthGuard('authmesh')` (profiles) answer. */
  readonly refusal: { readonly status: 400 | 401; readonly code: string };
  /**
   * What a passport-jwt service on `authmeshSecretOrKeyProvider` + `authmeshValidate` does with it:
   * `refused` (a 401, mostly without our code) or `accepted` (200: a gap our guard and strategy close).
   */
  readonly passportJwt: 'refused' | 'accepted';
}

const nowS = (): number => Math.floor(Date.now() / 1000);
const claims = (ctx: HostileContext, overrides: Record<string, unknown> = {}) => accessClaims(ctx.issuer, ctx.audience, nowS(), overrides);
const bearer = (token: string): [string, string][] => [['authorization', `Bearer ${token}`]];
const signed =
  (header: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) =>
  (ctx: HostileContext) =>
    bearer(signToken(ctx.key, claims(ctx, overrides), header));

/**
 * Every hostile token apps/orders/test/token-verification.e2e-spec.ts sends orders, as one table,
 * plus the ones that only matter where another verifier sits behind passport-jwt (a valid token
 * over the size cap, a non-canonical signature, a revoked token is in the spec itself).
 */
export const HOSTILE_CASES: readonly HostileCase[] = [
  { name: 'no Authorization header', headers: () => [], refusal: { status: 401, code: 'token_missing' }, passportJwt: 'refused' },
  {
    name: 'two Authorization headers, the first valid',
    headers: (ctx) => {
      const t = signToken(ctx.key, claims(ctx));
      return [
        ['authorization', `Bearer ${t}`],
        ['authorization', 'Bearer not-a-token'],
      ];
    },
    refusal: { status: 400, code: 'token_ambiguous' },
    passportJwt: 'accepted', // ExtractJwt reads Node's `headers`, which keeps only the first
  },
  {
    name: 'two credentials in one header',
    headers: (ctx) => {
      const t = signToken(ctx.key, claims(ctx));
      return [['authorization', `Bearer ${t} ${t}`]];
    },
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'accepted', // ExtractJwt takes the first word after the scheme
  },
  {
    name: 'Bearer without a token',
    headers: () => [['authorization', 'Bearer']],
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'refused',
  },
  {
    name: 'alg none',
    headers: (ctx) => bearer(unsignedToken(claims(ctx), { kid: ctx.key.kid })),
    refusal: { status: 401, code: 'token_bad_algorithm' },
    passportJwt: 'refused',
  },
  {
    name: 'HS256 with the public key as the HMAC secret',
    headers: (ctx) => bearer(signHs256(claims(ctx), { kid: ctx.key.kid }, ctx.key.publicKey.export({ type: 'spki', format: 'pem' }))),
    refusal: { status: 401, code: 'token_bad_algorithm' },
    passportJwt: 'refused',
  },
  ...['RS512', 'PS256', 'ES256'].map((alg): HostileCase => ({
    name: `alg ${alg}`,
    headers: signed({ alg }),
    refusal: { status: 401, code: 'token_bad_algorithm' },
    passportJwt: 'refused',
  })),
  { name: 'no kid', headers: signed({ kid: undefined }), refusal: { status: 401, code: 'token_unknown_key' }, passportJwt: 'refused' },
  {
    name: 'an unknown kid',
    headers: (ctx) => bearer(signToken(ctx.attacker, claims(ctx))),
    refusal: { status: 401, code: 'token_unknown_key' },
    passportJwt: 'refused',
  },
  {
    name: "jku pointing at the attacker's JWKS",
    headers: (ctx) => bearer(signToken(ctx.attacker, claims(ctx), { jku: ctx.attackerJwks.jwksUri })),
    refusal: { status: 401, code: 'token_unknown_key' },
    passportJwt: 'refused',
  },
  {
    name: "an embedded jwk of the attacker's, under our kid",
    headers: (ctx) => bearer(signToken(ctx.impostor, claims(ctx), { jwk: ctx.attacker.jwk })),
    refusal: { status: 401, code: 'token_bad_signature' },
    passportJwt: 'refused',
  },
  {
    name: 'x5c of the attacker, under our kid',
    headers: (ctx) =>
      bearer(
        signToken(ctx.impostor, claims(ctx), { x5c: [ctx.attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] }),
      ),
    refusal: { status: 401, code: 'token_bad_signature' },
    passportJwt: 'refused',
  },
  {
    name: 'a non-empty crit (RFC 7515 §4.1.11)',
    headers: signed({ crit: ['b64'], b64: false }),
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'accepted', // jws ignores crit
  },
  ...['JWT', 'id_token+jwt', undefined].map((typ): HostileCase => ({
    name: `typ ${typ} (RFC 9068 §4: an ID token replayed as an access token)`,
    headers: signed({ typ }),
    refusal: { status: 401, code: 'token_wrong_type' },
    passportJwt: 'accepted', // jsonwebtoken has no typ check
  })),
  {
    name: 'another issuer',
    headers: signed({}, { iss: 'https://evil.example' }),
    refusal: { status: 401, code: 'token_wrong_issuer' },
    passportJwt: 'refused',
  },
  {
    name: 'our issuer with a trailing slash',
    headers: (ctx) => bearer(signToken(ctx.key, claims(ctx, { iss: `${ctx.issuer}/` }))),
    refusal: { status: 401, code: 'token_wrong_issuer' },
    passportJwt: 'refused',
  },
  {
    name: 'another audience',
    headers: signed({}, { aud: 'gateway' }),
    refusal: { status: 401, code: 'token_wrong_audience' },
    passportJwt: 'refused',
  },
  {
    name: 'expired beyond the 30 s tolerance',
    headers: (ctx) => bearer(signToken(ctx.key, claims(ctx, { exp: nowS() - 31 }))),
    refusal: { status: 401, code: 'token_expired' },
    passportJwt: 'refused',
  },
  {
    name: 'nbf in the future beyond the tolerance',
    headers: (ctx) => bearer(signToken(ctx.key, claims(ctx, { nbf: nowS() + 60 }))),
    refusal: { status: 401, code: 'token_not_yet_valid' },
    passportJwt: 'refused',
  },
  {
    name: 'iat in the future beyond the tolerance',
    headers: (ctx) => bearer(signToken(ctx.key, claims(ctx, { iat: nowS() + 60 }))),
    refusal: { status: 401, code: 'token_not_yet_valid' },
    passportJwt: 'accepted', // jsonwebtoken reads iat only for maxAge
  },
  {
    name: 'no jti (RFC 9068 §2.2 requires it)',
    headers: signed({}, { jti: undefined }),
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'refused', // by authmeshValidate
  },
  {
    name: 'a validly signed token over the 8 KiB cap',
    headers: signed({}, { padding: 'x'.repeat(9000) }),
    refusal: { status: 401, code: 'token_too_large' },
    passportJwt: 'accepted', // no cap before parsing
  },
  {
    name: 'a signature with non-zero trailing bits (a non-canonical spelling, RFC 7515 §2)',
    headers: (ctx) => bearer(nonCanonicalVariants(withUrlSafeSignature(() => signToken(ctx.key, claims(ctx))))[0]![1]),
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'accepted', // Node's base64 decoder drops the unused bits
  },
  {
    name: 'a signature with "+" in place of "-"',
    headers: (ctx) => bearer(nonCanonicalVariants(withUrlSafeSignature(() => signToken(ctx.key, claims(ctx))))[1]![1]),
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'refused',
  },
  { name: 'not a JWS', headers: () => bearer('not-a-token'), refusal: { status: 401, code: 'token_malformed' }, passportJwt: 'refused' },
  {
    name: 'a header that is not JSON',
    headers: (ctx) => bearer(`${b64url('{not json')}.${b64url(claims(ctx))}.AAAA`),
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'refused',
  },
  {
    name: 'a signed payload that is not JSON',
    headers: (ctx) => bearer(signRaw(ctx.key, b64url({ alg: 'RS256', typ: 'at+jwt', kid: ctx.key.kid }), b64url('{"sub":'))),
    refusal: { status: 401, code: 'token_malformed' },
    passportJwt: 'refused',
  },
  {
    name: 'a payload changed after signing',
    headers: (ctx) => {
      const [h, , s] = signToken(ctx.key, claims(ctx)).split('.');
      return bearer(`${h}.${b64url(claims(ctx, { sub: 'admin' }))}.${s}`);
    },
    refusal: { status: 401, code: 'token_bad_signature' },
    passportJwt: 'refused',
  },
  {
    name: 'signed by another key under our kid',
    headers: (ctx) => bearer(signToken(ctx.impostor, claims(ctx))),
    refusal: { status: 401, code: 'token_bad_signature' },
    passportJwt: 'refused',
  },
];
