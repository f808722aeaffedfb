import {
  InvalidTokenHttpError,
  type JwksCache,
  type RevocationChecker,
  TokenVerificationError,
  TokenVerifier,
  type VerifiedToken,
  type VerifierConfig,
  type VerifierMetrics,
} from '@authmesh/token-verifier';

/** The audiences the edge checks: the service a route leads to (and auth, for `/auth/*` with a bearer token). */
export const EDGE_AUDIENCES = ['auth', 'orders', 'profiles'] as const;
export type EdgeAudience = (typeof EDGE_AUDIENCES)[number];

/**
 * Verification at the edge: one `TokenVerifier` per audience, all sharing one JWKS cache and the
 * revocation mirror, so a token is judged exactly as the routed service will judge it (same
 * issuer, audience, clock tolerance, blocklist) and a bad one never reaches it. Failures become
 * the services' own 401 (`InvalidTokenHttpError`: WWW-Authenticate + code).
 */
export class EdgeVerifier {
  private readonly verifiers: ReadonlyMap<EdgeAudience, TokenVerifier>;
  private metrics: VerifierMetrics | undefined;

  constructor(config: VerifierConfig, jwks: JwksCache, revocation: RevocationChecker, now?: () => number) {
    this.verifiers = new Map(
      EDGE_AUDIENCES.map((audience) => [
        audience,
        new TokenVerifier({
          issuer: config.issuer,
          audience,
          keys: jwks,
          clockToleranceSeconds: config.clockToleranceSeconds,
          maxTokenBytes: config.maxTokenBytes,
          revocation,
          now,
        }),
      ]),
    );
  }

  /** The verifier of one audience (metrics read its cache statistics). */
  verifierFor(audience: EdgeAudience): TokenVerifier {
    return this.verifiers.get(audience)!;
  }

  /** Counts outcomes on the app's `token_verifications_total`. */
  useMetrics(metrics: VerifierMetrics): void {
    this.metrics = metrics;
  }

  /**
   * Verifies `token` for `audience`. Throws `InvalidTokenHttpError` (401/400 with the service's
   * code and challenge), or the revocation checker's own AppError (503 `revocation_unavailable`).
   */
  async verify(audience: EdgeAudience, token: string | (() => string)): Promise<VerifiedToken> {
    try {
      const verified = await this.verifierFor(audience).verify(typeof token === 'function' ? token() : token);
      this.metrics?.record('ok');
      return verified;
    } catch (e) {
      if (e instanceof TokenVerificationError) {
        this.metrics?.record(e.code);
        throw new InvalidTokenHttpError(e);
      }
      throw e;
    }
  }
}
