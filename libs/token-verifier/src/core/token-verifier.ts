import { checkClaims, type ClaimRules } from './check-claims.js';
import { HeaderCache } from './header-cache.js';
import { VerifiedAccessToken, type VerifiedToken } from './claims.js';
import type { PresentedCredentials } from './credentials.js';
import { DpopBinding, type DpopRequest } from './dpop-binding.js';
import { DpopTokenAsBearerError } from './dpop/errors.js';
import { TokenBadSignatureError, TokenMalformedError, TokenMissingError, TokenVerificationError, quoteForLog } from './errors.js';
import type { RsaVerificationKey } from './jwks/rsa-verification-key.js';
import { type JwsSegments, decodeJsonSegment, isCanonicalFinalSegment, isStrictCompactJws, splitCompactJws } from './parse-compact-jws.js';
import { type RevocationChecker, noRevocationChecker } from './revocation.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { verifyRs256Signature } from './verify-signature.js';

/** Where verification keys come from: the JWKS cache in production, anything else in tests. */
export interface KeySource {
  /** Hot path: the cached, usable key for `kid`, or undefined. */
  getKey(kid: string, nowMs: number): RsaVerificationKey | undefined;
  /** Slow path: refetch if allowed, then the key, or throw TokenUnknownKeyError / KeysUnavailableError. */
  resolveKey(kid: string): Promise<RsaVerificationKey>;
  /** Lets the verifier forget tokens signed by keys that left the key set. */
  onKeysRemoved?(listener: (kids: readonly string[]) => void): void;
  /** Emergency: drop this key now and never use it again, whatever a (stale) JWKS says. */
  revokeKey?(kid: string): void;
  /** The key set changed (a rotation was announced): refetch now. */
  refreshNow?(): void;
}

export interface TokenVerifierOptions {
  /** Exact `iss` expected. */
  readonly issuer: string;
  /** This service's audience. */
  readonly audience: string;
  readonly keys: KeySource;
  /** Skew allowed on exp, nbf and iat, in seconds (default 30). */
  readonly clockToleranceSeconds?: number;
  /** Longer tokens are rejected before any parsing (default 8 192). */
  readonly maxTokenBytes?: number;
  /** Size of the verified-token cache; 0 disables it (default 10 000). */
  readonly verifiedCacheMaxEntries?: number;
  /** Asked on every request (default: nothing is revoked). */
  readonly revocation?: RevocationChecker;
  /** The clock, ms since the epoch (default `Date.now`): jose's `currentDate`, as a function. */
  readonly now?: () => number;
  /** How `Authorization: DPoP` requests are checked (default: no origins, so every DPoP request is refused). */
  readonly dpop?: DpopBinding;
}

/** Counters the Nest layer exports as metrics. */
export interface VerifierStats {
  cacheHits: number;
  cacheMisses: number;
}

/**
 * Verifies RFC 9068 access tokens locally, against cached keys (docs/architecture.md, "Token verification in every service").
 *
 * In order, cheapest and least trusting first: length cap; three strict base64url segments; JSON
 * header; `alg` pinned to RS256; `crit` absent; `typ` at+jwt; `kid` present and looked up only in
 * the key source; RSA signature; JSON claims; required claims; `iss` exact; `aud` contains ours;
 * `exp`/`nbf`/`iat` with tolerance; then the revocation check. A token that passed is cached until
 * its `exp`, and a cached token still goes through the revocation check on every call.
 *
 * @example
 * const jwks = new JwksCache({ jwksUri: 'https://auth.example/.well-known/jwks.json' });
 * await jwks.start();
 * const verifier = new TokenVerifier({ issuer: 'https://auth.example', audience: 'orders', keys: jwks });
 * const { principal } = await verifier.verify(bearerToken); // throws a TokenVerificationError subclass
 */
export class TokenVerifier {
  readonly stats: VerifierStats = { cacheHits: 0, cacheMisses: 0 };
  private readonly rules: ClaimRules;
  private readonly keys: KeySource;
  private readonly maxTokenBytes: number;
  private readonly revocation: RevocationChecker;
  private readonly now: () => number;
  private readonly cache: VerifiedTokenCache;
  private readonly headers = new HeaderCache();
  private readonly dpop: DpopBinding;

  constructor(options: TokenVerifierOptions) {
    this.rules = Object.freeze({
      issuer: options.issuer,
      audience: options.audience,
      clockToleranceSeconds: options.clockToleranceSeconds ?? 30,
    });
    this.keys = options.keys;
    this.maxTokenBytes = options.maxTokenBytes ?? 8192;
    this.revocation = options.revocation ?? noRevocationChecker;
    this.now = options.now ?? Date.now;
    this.cache = new VerifiedTokenCache(options.verifiedCacheMaxEntries ?? 10_000, this.now);
    this.dpop = options.dpop ?? new DpopBinding({ origins: [], now: this.now });
    options.keys.onKeysRemoved?.((kids) => this.cache.dropSignedBy(kids));
    const keys = options.keys;
    // Kids are key thumbprints (unique whoever issued them); a key-set change concerns one issuer.
    this.revocation.onSigningKeyEvent?.((event) => {
      if (event.type === 'revoked') keys.revokeKey?.(event.kid);
      else if (event.issuer === this.rules.issuer) keys.refreshNow?.();
    });
  }

  /** Verifies `token` (the bare JWS, without "Bearer "). Rejects with a TokenVerificationError subclass. */
  async verify(token: string | undefined): Promise<VerifiedToken> {
    if (token === undefined || token === '') throw new TokenMissingError('no token');
    let verified = this.cache.get(token);
    if (verified === undefined) {
      this.stats.cacheMisses++;
      try {
        const nowMs = this.now();
        const segments = splitCompactJws(token, this.maxTokenBytes);
        const kid = this.headers.kidOf(token, segments.headerEnd);
        const key = this.keys.getKey(kid, nowMs) ?? (await this.keys.resolveKey(kid));
        verified = this.verifyWithKey(token, segments, key, nowMs);
      } catch (e) {
        // Only our own errors leave here: a bug on odd input must never become a 500.
        if (e instanceof TokenVerificationError) throw e;
        throw new TokenMalformedError(`unexpected error while verifying: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.cache.set(token, verified, (verified.claims.exp + this.rules.clockToleranceSeconds) * 1000);
    } else {
      this.stats.cacheHits++;
    }
    // Revocation is never cached: a token revoked a moment ago must fail now, not at its exp.
    const pending = this.revocation.check(verified.claims);
    if (pending !== undefined) await pending;
    return verified;
  }

  /**
   * Verifies what a request presents (`credentialsFromRawHeaders`):
   *
   * - a Bearer token: `verify`, then a token bound to a key (`cnf`) is refused,
   *   `dpop_token_as_bearer` (RFC 9449 §7.2: accepting it would make a stolen bound token as good
   *   as a bearer one). One property read on the Bearer path, nothing more;
   * - a DPoP token and proof: `verify`, then `DpopBinding.check` against `request` (the method,
   *   request-target and Host as received). Only DPoP requests pay for a proof.
   */
  async verifyPresented(credentials: PresentedCredentials, request: DpopRequest | (() => DpopRequest)): Promise<VerifiedToken> {
    // `request` is read for DPoP only: Bearer callers pass NO_DPOP_REQUEST (no allocation).
    if (typeof credentials === 'string') {
      const verified = await this.verify(credentials);
      if (verified.claims.cnf !== undefined) throw new DpopTokenAsBearerError('a token with cnf presented as Bearer');
      return verified;
    }
    const verified = await this.verify(credentials.token);
    // verifyDpopProof throws only DpopProofErrors; the replay store's outage (fail closed) is its own 503.
    await this.dpop.check(verified, credentials, typeof request === 'function' ? request() : request);
    return verified;
  }

  private verifyWithKey(token: string, segments: JwsSegments, key: RsaVerificationKey, nowMs: number): VerifiedToken {
    // Before the RSA work: only the one canonical spelling of a signature is accepted (RFC 7515 §2).
    if (!isCanonicalFinalSegment(token, segments.payloadEnd + 1)) {
      throw new TokenMalformedError('the signature segment is not canonical base64url');
    }
    if (!verifyRs256Signature(token, segments.payloadEnd, key)) {
      if (!isStrictCompactJws(token, segments)) throw new TokenMalformedError('a segment is not strict base64url');
      throw new TokenBadSignatureError(`signature does not verify under kid ${quoteForLog(key.kid)}`);
    }
    const payload = decodeJsonSegment(token, segments.headerEnd + 1, segments.payloadEnd, 'claims set');
    const claims = checkClaims(payload, this.rules, nowMs / 1000);
    return new VerifiedAccessToken(claims, key.kid);
  }

  /** Forgets every verified token (tests, or after a configuration change). */
  clearCache(): void {
    this.cache.clear();
  }
}
