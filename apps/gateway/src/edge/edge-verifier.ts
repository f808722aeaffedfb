import {
  type DpopRequest,
  type PresentedCredentials,
  credentialsFromRawHeaders,
  InvalidTokenHttpError,
  TokenVerificationError,
  type TokenVerifier,
  type TokenVerifiers,
  type VerifiedToken,
  type VerifierMetrics,
  verifyInSpan,
} from '@authmesh/token-verifier';

/** The audiences the edge checks: the service a route leads to (and auth, for `/auth/*` with a bearer token). */
export const EDGE_AUDIENCES = ['auth', 'orders', 'profiles'] as const;
export type EdgeAudience = (typeof EDGE_AUDIENCES)[number];

/**
 * Verification at the edge: `TokenVerifierModule`'s verifiers, one per audience (EDGE_AUDIENCES),
 * all sharing one JWKS cache and the revocation mirror, so a token is judged exactly as the routed
 * service will judge it (same issuer, audience, clock tolerance, blocklist) and a bad one never
 * reaches it. Failures become the services' own 401 (`InvalidTokenHttpError`: WWW-Authenticate + code).
 */
export class EdgeVerifier {
  constructor(
    private readonly verifiers: TokenVerifiers,
    /** Counts outcomes on the app's `token_verifications_total`. */
    private readonly metrics: VerifierMetrics,
  ) {}

  /** The verifier of one audience. */
  verifierFor(audience: EdgeAudience): TokenVerifier {
    return this.verifiers.for(audience);
  }

  /**
   * Verifies `token` for `audience`. Throws `InvalidTokenHttpError` (401/400 with the service's
   * code and challenge), or the revocation checker's own AppError (503 `revocation_unavailable`).
   */
  async verify(audience: EdgeAudience, token: string | (() => string)): Promise<VerifiedToken> {
    try {
      const verified = await verifyInSpan(this.verifierFor(audience), typeof token === 'function' ? token() : token, audience);
      this.metrics.record('ok');
      return verified;
    } catch (e) {
      if (e instanceof TokenVerificationError) {
        this.metrics.record(e.code);
        throw new InvalidTokenHttpError(e);
      }
      throw e;
    }
  }

  /**
   * Verifies what the request presents (Bearer, or DPoP with its proof checked against the
   * gateway's public origin: GATEWAY_PUBLIC_ORIGIN, the URL the client addressed) for `audience`.
   * A bound token sent as Bearer is refused here (`dpop_token_as_bearer`), as at every service.
   */
  async verifyRequest(
    audience: EdgeAudience,
    rawHeaders: readonly string[],
    request: () => DpopRequest,
  ): Promise<{ verified: VerifiedToken; credentials: PresentedCredentials }> {
    let credentials: PresentedCredentials | undefined;
    try {
      credentials = credentialsFromRawHeaders(rawHeaders);
      const presented = credentials;
      const verifier = this.verifierFor(audience);
      const verified = await verifyInSpan(verifier, () => verifier.verifyPresented(presented, request), audience);
      this.metrics.record('ok');
      return { verified, credentials };
    } catch (e) {
      if (e instanceof TokenVerificationError) {
        this.metrics.record(e.code);
        throw new InvalidTokenHttpError(e, credentials !== undefined && typeof credentials !== 'string' ? 'dpop' : 'bearer');
      }
      throw e;
    }
  }
}
