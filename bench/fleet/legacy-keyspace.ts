// Today's key layout, kept only to compare: a verbatim copy of libs/revocation/src/core/keyspace.ts
// as of commit 2dd8f71, so the legacy feed (legacy-pubsub-scan-feed.ts) and the bench's legacy
// seeding keep reading and writing `revoked:*` + `revocation:generation` whatever the library's
// layout becomes. Only the import changed.
import type { RevocationEvent } from '@authmesh/revocation';

/** Channel every revocation is published on (JSON of a `RevocationEvent`). */
export const REVOCATION_CHANNEL = 'authmesh:revocations';
/** `revoked:jti:<jti>` = the token's `exp` in ms; TTL = remaining lifetime + clock tolerance. */
export const REVOKED_JTI_PREFIX = 'revoked:jti:';
/** `revoked:sub:<sub>` = ms timestamp; tokens of `sub` with `iat` at or before it are revoked. */
export const REVOKED_SUB_PREFIX = 'revoked:sub:';
/** `revoked:kid:<kid>` = ms timestamp; every token signed by that key is revoked (emergency key revocation). */
export const REVOKED_KID_PREFIX = 'revoked:kid:';
/**
 * `revocation:generation` = ms when auth last completely seeded the blocklist from its ledger. No
 * TTL: its absence means the blocklist lost its data (or was never seeded). Outside `revoked:*`, so
 * a re-sync's SCAN never mistakes it for an entry.
 */
export const GENERATION_KEY = 'revocation:generation';
/**
 * While auth seeds, the marker's key holds `seeding:<random token>` instead of a number: verifiers
 * read it as "no marker" (`parseGeneration`), and `markSeeded` turns it into the generation only if
 * it is still this seed's claim, so a Redis wiped mid-seed (the claim gone with the data) is never
 * vouched for. One key, so it works unchanged on Redis Cluster.
 */
export const SEED_CLAIM_PREFIX = 'seeding:';
/** A claim lapses after this (ms): a seeder that crashed does not leave one behind for long. */
export const SEED_CLAIM_TTL_MS = 10 * 60_000;

/**
 * The names the blocklist uses in Redis. Everything is a single key (no multi-key command, no hash
 * tags needed), so the same names work on one node, behind Sentinel and on Redis Cluster.
 *
 * `prefix` (default empty) namespaces keys and channel alike, e.g. so parallel test files sharing
 * one Redis stay apart. Writers and verifiers must use the same prefix.
 */
export class RevocationKeyspace {
  readonly channel: string;
  /** SCAN pattern matching every blocklist key. */
  readonly scanPattern: string;
  /** The generation marker's key (see GENERATION_KEY). */
  readonly generationKey: string;
  private readonly jtiPrefix: string;
  private readonly subPrefix: string;
  private readonly kidPrefix: string;

  constructor(readonly prefix = '') {
    // A glob character in the prefix would widen the SCAN pattern to other keys.
    if (/[*?[\]\\]/.test(prefix)) throw new Error(`revocation key prefix must not contain glob characters: ${prefix}`);
    this.channel = `${prefix}${REVOCATION_CHANNEL}`;
    this.scanPattern = `${prefix}revoked:*`;
    this.generationKey = `${prefix}${GENERATION_KEY}`;
    this.jtiPrefix = `${prefix}${REVOKED_JTI_PREFIX}`;
    this.subPrefix = `${prefix}${REVOKED_SUB_PREFIX}`;
    this.kidPrefix = `${prefix}${REVOKED_KID_PREFIX}`;
  }

  jtiKey(jti: string): string {
    return this.jtiPrefix + jti;
  }

  subKey(sub: string): string {
    return this.subPrefix + sub;
  }

  kidKey(kid: string): string {
    return this.kidPrefix + kid;
  }

  /** The event a stored key and value stand for, or undefined for a key or value that is not ours. */
  eventOf(key: string, value: string | null | undefined): RevocationEvent | undefined {
    if (value === null || value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
    const ms = Number(value);
    if (key.startsWith(this.jtiPrefix) && key.length > this.jtiPrefix.length) {
      return { kind: 'jti', jti: key.slice(this.jtiPrefix.length), expiresAtMs: ms };
    }
    if (key.startsWith(this.subPrefix) && key.length > this.subPrefix.length) {
      return { kind: 'sub', sub: key.slice(this.subPrefix.length), revokedAtMs: ms };
    }
    if (key.startsWith(this.kidPrefix) && key.length > this.kidPrefix.length) {
      return { kind: 'kid', kid: key.slice(this.kidPrefix.length), revokedAtMs: ms };
    }
    return undefined;
  }
}

/**
 * The generation marker's stored value as a number (ms), or undefined when absent, not ours, or a
 * seed's claim (`seeding:<token>`): a seed under way is not a complete blocklist.
 */
export function parseGeneration(value: string | null | undefined): number | undefined {
  return value !== null && value !== undefined && /^\d{1,16}$/.test(value) ? Number(value) : undefined;
}

const MAX_ID_LENGTH = 1024;

/**
 * Parses a channel message (or an outbox row) into a `RevocationEvent`; undefined for anything
 * else. The channel is trusted (only auth writes it) but a malformed message must never throw in a
 * subscriber or poison the mirror.
 */
export function parseRevocationEvent(input: unknown): RevocationEvent | undefined {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_ID_LENGTH;
  const isMs = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (v.kind === 'jti' && isId(v.jti) && isMs(v.expiresAtMs)) return { kind: 'jti', jti: v.jti, expiresAtMs: v.expiresAtMs };
  if (v.kind === 'sub' && isId(v.sub) && isMs(v.revokedAtMs)) return { kind: 'sub', sub: v.sub, revokedAtMs: v.revokedAtMs };
  if (v.kind === 'kid' && isId(v.kid) && isMs(v.revokedAtMs)) return { kind: 'kid', kid: v.kid, revokedAtMs: v.revokedAtMs };
  if (v.kind === 'keyset' && isId(v.issuer) && isMs(v.changedAtMs)) return { kind: 'keyset', issuer: v.issuer, changedAtMs: v.changedAtMs };
  if (v.kind === 'resync' && isMs(v.generation) && isMs(v.atMs)) return { kind: 'resync', generation: v.generation, atMs: v.atMs };
  if (v.kind === 'client' && isId(v.clientId) && isMs(v.changedAtMs))
    return { kind: 'client', clientId: v.clientId, changedAtMs: v.changedAtMs };
  return undefined;
}
