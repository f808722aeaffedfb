import type { TokenVerifier } from '../core/token-verifier.js';

/**
 * One `TokenVerifier` per audience the app checks, all over the same key source and revocation
 * check: a service has one (its own audience), the gateway's edge one per routed service, so a
 * token is judged there exactly as the service it is routed to will judge it.
 */
export class TokenVerifiers {
  constructor(private readonly byAudience: ReadonlyMap<string, TokenVerifier>) {}

  /** The audiences there is a verifier for. */
  get audiences(): readonly string[] {
    return [...this.byAudience.keys()];
  }

  /** The verifier of `audience`; throws for an audience the module was not configured with (a wiring bug). */
  for(audience: string): TokenVerifier {
    const verifier = this.byAudience.get(audience);
    if (!verifier) throw new Error(`no token verifier for audience "${audience}" (configured: ${this.audiences.join(', ')})`);
    return verifier;
  }
}
