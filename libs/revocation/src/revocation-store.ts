/** A revocation as published on the channel (and replayed from the outbox). */
export type RevocationEvent =
  | { kind: 'jti'; jti: string; /** the token's exp, ms since epoch */ expiresAtMs: number }
  | { kind: 'sub'; sub: string; /** tokens with iat at or before this (ms) are revoked */ revokedAtMs: number };

/**
 * The blocklist. Redis keys `revoked:jti:<jti>` (TTL = remaining lifetime + clock tolerance) and
 * `revoked:sub:<sub>` = a timestamp (TTL = longest access-token lifetime + tolerance). Every write
 * is published on a channel. Implementations: Redis (single node, Sentinel, Cluster) and memory
 * (single-process `npm start`), held to one contract test suite.
 */
export interface RevocationStore {
  /** Blocklists one access token until its `exp` + tolerance; a no-op for an already-expired token. */
  revokeToken(jti: string, expiresAt: Date): Promise<void>;
  /** Revokes every token of `sub` issued at or before `at` (logout-everywhere, password change…). */
  revokeSubject(sub: string, at: Date): Promise<void>;
  /** Applies an event (used by auth's outbox replay). */
  apply(event: RevocationEvent): Promise<void>;
  isTokenRevoked(jti: string): Promise<boolean>;
  subjectRevokedAt(sub: string): Promise<Date | undefined>;
}
