/**
 * The most clock tolerance any service may be configured with (`JWT_CLOCK_TOLERANCE_S`, 0–300 s).
 * A verifier accepts a token until `exp` + its own tolerance, and each service sets its own, so
 * auth keeps a revocation (ledger row and Redis entry) until `exp` + this maximum: a verifier
 * configured more leniently than auth must still find the entry.
 */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/**
 * The longest an access token may live (`AUTH_ACCESS_TOKEN_TTL_S` is capped here). Revocations of
 * a subject or a signing key are kept this long (+ tolerance): a token issued just before one may
 * live that long, whatever today's TTL.
 */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
