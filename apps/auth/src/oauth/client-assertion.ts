import { type JWTPayload, createLocalJWKSet, decodeJwt, errors, jwtVerify } from 'jose';
import { CLIENT_ID_PATTERN } from '@authmesh/contracts';
import { CLIENT_ASSERTION_ALGORITHMS, type ClientJwks } from './client-jwks.js';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A compact JWS of a few claims signed by a 4096-bit key is ~1 KB; anything near this is not an honest assertion. */
export const MAX_CLIENT_ASSERTION_LENGTH = 4096;
/** `exp` at most this far ahead (the "≤ 5 min"): an assertion is made for one request, not kept. */
export const MAX_CLIENT_ASSERTION_LIFETIME_SECONDS = 300;
const MAX_JTI_LENGTH = 256;

/** Why an assertion was refused, for the log only: the caller always sees the same invalid_client. */
export class ClientAssertionRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ClientAssertionRejected';
  }
}

/** Single use of `jti`s (JtiReplayStore); a rejection of `claim` (Redis down) passes through unchanged. */
export interface AssertionReplayGuard {
  claim(clientId: string, jti: string, ttlMs: number): Promise<boolean>;
}

export interface ClientAssertionVerifierOptions {
  /** Auth's issuer identifier (AUTH_ISSUER). */
  readonly issuer: string;
  /** Auth's token endpoint URL (`${issuer}/oauth/token`). */
  readonly tokenEndpoint: string;
  /** Leeway on `exp`, `nbf` and `iat` (JWT_CLOCK_TOLERANCE_S). */
  readonly clockToleranceSeconds: number;
  readonly replay: AssertionReplayGuard;
  /** Injectable clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * The client id an assertion says it is from (`sub`, RFC 7523 §3 item 2), read WITHOUT verifying
 * it: only to find the keys to verify it with, so it must be a well-formed client id
 * (CLIENT_ID_PATTERN). Everything it says is checked by `verify` after.
 */
export function claimedClientId(assertion: string): string {
  if (assertion.length > MAX_CLIENT_ASSERTION_LENGTH)
    throw new ClientAssertionRejected(`assertion longer than ${MAX_CLIENT_ASSERTION_LENGTH}`);
  let payload: JWTPayload;
  try {
    payload = decodeJwt(assertion);
  } catch (e) {
    throw new ClientAssertionRejected(`not a JWT: ${(e as Error).message}`);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new ClientAssertionRejected('no sub');
  // Unverified input about to be looked up: a NUL would reach Postgres (a 500), junk the caches.
  if (!CLIENT_ID_PATTERN.test(payload.sub)) throw new ClientAssertionRejected('sub is not a well-formed client id');
  return payload.sub;
}

/**
 * Verifies a `private_key_jwt` client assertion (RFC 7523 §2.2 and §3, OpenID Connect Core §9)
 * against the keys the client registered, then spends its `jti`. Throws ClientAssertionRejected
 * with the reason; the caller answers invalid_client.
 *
 * @example
 * const verifier = new ClientAssertionVerifier({ issuer, tokenEndpoint: `${issuer}/oauth/token`, clockToleranceSeconds: 30, replay });
 * await verifier.verify(params.required('client_assertion'), { clientId: 'orders', jwks: client.jwks });
 */
export class ClientAssertionVerifier {
  private readonly now: () => number;
  private readonly audiences: ReadonlySet<string>;

  constructor(private readonly options: ClientAssertionVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.audiences = new Set([options.issuer, options.tokenEndpoint]);
  }

  async verify(assertion: string, client: { readonly clientId: string; readonly jwks: ClientJwks }): Promise<void> {
    if (assertion.length > MAX_CLIENT_ASSERTION_LENGTH)
      throw new ClientAssertionRejected(`assertion longer than ${MAX_CLIENT_ASSERTION_LENGTH}`);
    const nowMs = this.now();
    const tolerance = this.options.clockToleranceSeconds;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
        // RFC 8725 §3.1: the algorithms are ours, never the token's `alg`. `none` and every HMAC
        // are absent, so an assertion "signed" with HS256 keyed by the client's PUBLIC key (the
        // classic algorithm-confusion forgery, CVE-2015-9235) is refused before any key is used.
        algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
        // RFC 7523 §3 items 1 and 2: iss and sub are both the client id.
        issuer: client.clientId,
        subject: client.clientId,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: tolerance,
        currentDate: new Date(nowMs),
      }));
    } catch (e) {
      throw new ClientAssertionRejected(e instanceof errors.JOSEError ? `${e.code}: ${e.message}` : String(e));
    }
    this.checkAudience(payload.aud);
    const nowS = nowMs / 1000;
    const exp = payload.exp!;
    // The bound: an assertion lives minutes at most, so its jti need not be kept longer.
    if (exp - nowS > MAX_CLIENT_ASSERTION_LIFETIME_SECONDS + tolerance)
      throw new ClientAssertionRejected(`exp ${Math.round(exp - nowS)} s ahead, more than ${MAX_CLIENT_ASSERTION_LIFETIME_SECONDS} s`);
    // RFC 7519 §4.1.6: iat is when it was made; one from the future was made by a wrong clock or to outlive the bound above.
    if (payload.iat !== undefined && payload.iat > nowS + tolerance) throw new ClientAssertionRejected('iat in the future');
    const jti = payload.jti!;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH)
      throw new ClientAssertionRejected('jti must be a string of 1-256 characters');
    // RFC 7523 §3 item 7: a jti already used is refused until the assertion has expired (and the
    // leeway passed), after which `exp` refuses it anyway.
    const ttlMs = (exp + tolerance) * 1000 - nowMs;
    if (!(await this.options.replay.claim(client.clientId, jti, ttlMs)))
      throw new ClientAssertionRejected(`jti ${jti.slice(0, 64)} replayed`);
  }

  /**
   * RFC 7523 §3 item 3 lets `aud` be the token endpoint URL or the issuer; OIDC Core §9 asks for
   * the token endpoint. We accept exactly those two, as a string or as an array naming nothing
   * else. An array naming anything else is refused: the 2025 "audience injection" finding behind
   * draft-ietf-oauth-rfc7523bis showed that a client talking to several authorization servers can
   * be led (by a malicious one advertising an honest server's URL as its own endpoint) to sign an
   * assertion whose audience that malicious server then replays here; a multi-valued `aud`
   * widens that to every value listed. rfc7523bis goes further and wants the issuer alone, as
   * one string: our own fetcher (libs/service-auth) sends exactly that, and a deployment whose
   * clients only ever talk to this server loses nothing by also taking the token endpoint URL.
   */
  private checkAudience(aud: unknown): void {
    const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (values.length === 0) throw new ClientAssertionRejected('no aud');
    if (!values.every((v) => typeof v === 'string' && this.audiences.has(v)))
      throw new ClientAssertionRejected(`aud ${JSON.stringify(aud).slice(0, 200)} names something other than this server`);
  }
}
