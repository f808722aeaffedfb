import type { AccessTokenClaims } from './claims.js';

/**
 * Asked on every request, after the signature and claims are valid (and also for tokens served
 * from the verified-token cache). Return normally when the token may be used; throw
 * `TokenRevokedError` when its `jti` is revoked or its subject was revoked after `iat`. May be
 * synchronous (a local mirror) or asynchronous (a lookup); keep the synchronous path free of
 * allocations, it is on every request. Any other error it throws (e.g. a fail-closed policy while
 * the store is unreachable) propagates to the caller unchanged.
 */
export interface RevocationChecker {
  check(claims: AccessTokenClaims): void | Promise<void>;
  /**
   * Optional: the verifier subscribes here to what auth announces about its signing keys (an
   * emergency key revocation, a rotation) and passes it to its key source, which drops the key or
   * refetches now instead of at its next scheduled refresh.
   */
  onSigningKeyEvent?(listener: (event: SigningKeyEvent) => void): void;
}

/** What auth announces about its signing keys. */
export type SigningKeyEvent = { readonly type: 'revoked'; readonly kid: string } | { readonly type: 'changed'; readonly issuer: string };

/** The default until the revocation lib plugs in: nothing is revoked, no I/O, no allocation. */
export const noRevocationChecker: RevocationChecker = Object.freeze({
  check(): void {
    // Intentionally empty.
  },
});
