/**
 * The most clock tolerance any service may be configured with (`JWT_CLOCK_TOLERANCE_S`, 0–300 s).
 * A verifier accepts a token until `exp` + its own tolerance, and each service sets its own, so
 * auth keeps a revocation (ledger row and Redis entry) until `exp` + this maximum: a verifier
 * configured more leniently than auth must still find the entry.
 */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
