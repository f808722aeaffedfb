/** A revocation as appended to the event stream (and replayed from the outbox). */
export type RevocationEvent =
  | { kind: 'jti'; jti: string; /** the token's exp, ms since epoch */ expiresAtMs: number }
  | { kind: 'sub'; sub: string; /** tokens with iat at or before this (ms) are revoked */ revokedAtMs: number }
  /** A signing key revoked in an emergency: every token it signed is refused, and verifiers drop the key now. */
  | { kind: 'kid'; kid: string; revokedAtMs: number }
  /** The published key set changed (rotation): verifiers refetch the JWKS now. Announced only, never stored. */
  | { kind: 'keyset'; /** whose keys: verifiers of other issuers ignore it */ issuer: string; changedAtMs: number }
  /**
   * The blocklist was (re-)seeded from auth's revocation ledger (after Redis lost its data, or on a
   * first start): every mirror re-reads the whole stream now, merging, never dropping what it holds.
   * Announced only; the marker it names is the `revocation:generation` key.
   */
  | { kind: 'resync'; /** the new generation marker (ms when the seed completed) */ generation: number; atMs: number }
  /**
   * An OAuth client was disabled or its secret, scopes, audiences or grant types changed: every auth
   * instance drops its cached record of it (client credentials served during a database outage).
   * Announced only, never stored; verifiers ignore it.
   */
  | { kind: 'client'; clientId: string; changedAtMs: number };

/** What `verifyDelivered` found: the ids the stream no longer holds, and its last id (`0-0` when empty). */
export interface DeliveryCheck {
  readonly missing: readonly string[];
  /** Undefined for a store without a stream (memory). */
  readonly lastId: string | undefined;
}

/**
 * The blocklist. Redis keys `revoked:jti:<jti>` (TTL = remaining lifetime + clock tolerance) and
 * `revoked:sub:<sub>` = a timestamp (TTL = longest access-token lifetime + tolerance). Every write
 * is also appended to the event stream verifiers read, in the same atomic script; a write returns
 * its event's stream id (undefined when nothing was written, and always for the memory store,
 * which has no stream). Implementations: Redis (single node, Sentinel, Cluster) and memory
 * (single-process `npm start`), held to one contract test suite.
 */
export interface RevocationStore {
  /** Blocklists one access token until its `exp` + tolerance; a no-op for an already-expired token. */
  revokeToken(jti: string, expiresAt: Date): Promise<string | undefined>;
  /** Revokes every token of `sub` issued at or before `at` (logout-everywhere, password change…). */
  revokeSubject(sub: string, at: Date): Promise<string | undefined>;
  /**
   * Revokes a signing key (emergency): `revoked:kid:<kid>` lives as long as any token it signed
   * could (longest access-token lifetime + tolerance), so a verifier that reconnects still learns it.
   */
  revokeSigningKey(kid: string, at: Date): Promise<string | undefined>;
  /** Announces a key-set change (rotation) on the stream; nothing else is stored. */
  announceKeysetChange(issuer: string, at: Date): Promise<string | undefined>;
  /** Announces a change to an OAuth client (disabled, new secret or scopes) on the stream; nothing else is stored. */
  announceClientChange(clientId: string, at: Date): Promise<string | undefined>;
  /** Applies an event (used by auth's outbox replay); returns its stream id, as the write it replays does. */
  apply(event: RevocationEvent): Promise<string | undefined>;
  /**
   * The generation marker: when the blocklist was last completely seeded from auth's ledger (ms),
   * or undefined when the blocklist lost its data (a flush, an empty restart, a failover to an empty
   * replica) or was never seeded. Auth writes it; verifiers read it to know a read of the stream is complete.
   */
  seededGeneration(): Promise<number | undefined>;
  /**
   * Starts a seed: claims the marker's key (`seeding:<token>`, which verifiers read as "no marker",
   * lapsing after `SEED_CLAIM_TTL_MS` so a crashed seeder's claim does not outlive it) and returns
   * the token `markSeeded` needs. A later `beginSeed` takes the claim over.
   */
  beginSeed(): Promise<string>;
  /**
   * Writes entries for a seed: the same keys, TTLs and keep-the-latest rules as the ordinary
   * writes, each appended to the stream too (a reader's full read is the stream alone), in batches
   * of one script each. Announcement-only events are skipped.
   */
  seedEntries(events: readonly RevocationEvent[]): Promise<void>;
  /**
   * After a complete seed: only if the marker's key still holds this seed's claim, writes the
   * marker (no TTL) and appends `resync` to the stream, atomically. Throws
   * `SeedInterruptedError` when the claim is gone (the data was lost mid-seed, or another seed took
   * over): the entries written before the loss may be missing, so no marker may vouch for them.
   */
  markSeeded(generation: number, token: string): Promise<void>;
  /**
   * Which of these stream ids (returned by earlier writes) the stream no longer holds, and its last
   * id: how auth notices that Redis lost events it had acknowledged (a lagging replica promoted, an
   * AOF `everysec` loss, a restart from an older snapshot) while keeping its marker.
   */
  verifyDelivered(ids: readonly string[]): Promise<DeliveryCheck>;
  isTokenRevoked(jti: string): Promise<boolean>;
  subjectRevokedAt(sub: string): Promise<Date | undefined>;
}

/**
 * `store.apply(event)` for every store: the event replayed through the store's own write, so a
 * replay (auth's outbox) behaves exactly like the original call. A `resync` writes nothing (see
 * `markSeeded`); a `client` is announced again and stores nothing.
 */
export function applyRevocationEvent(
  store: Pick<RevocationStore, 'revokeToken' | 'revokeSubject' | 'revokeSigningKey' | 'announceKeysetChange' | 'announceClientChange'>,
  event: RevocationEvent,
): Promise<string | undefined> {
  switch (event.kind) {
    case 'jti':
      return store.revokeToken(event.jti, new Date(event.expiresAtMs));
    case 'sub':
      return store.revokeSubject(event.sub, new Date(event.revokedAtMs));
    case 'kid':
      return store.revokeSigningKey(event.kid, new Date(event.revokedAtMs));
    case 'keyset':
      return store.announceKeysetChange(event.issuer, new Date(event.changedAtMs));
    case 'resync':
      // Only the reseeder, holding a claim, may write the marker: a replayed `resync` would vouch
      // for a blocklist nobody seeded.
      return Promise.resolve(undefined);
    case 'client':
      return store.announceClientChange(event.clientId, new Date(event.changedAtMs));
  }
}
