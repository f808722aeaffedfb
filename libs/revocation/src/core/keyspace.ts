import type { RevocationEvent } from '../revocation-store.js';

/**
 * The hash tag every revocation key carries (with the key prefix inside the braces): Redis Cluster
 * hashes only what is between `{` and `}`, so entries, marker and stream live on one slot and each
 * write (entry + stream event) is one script on one node, Cluster-legal. That puts all revocation
 * data on one Cluster master (and its replica): 285 bytes of Redis memory per live revocation,
 * measured (100k ≈ 29 MB); its HA is that master's replica, as for any key.
 */
export const REVOCATION_HASH_TAG = 'authmesh:rev';
/** `<tag>revoked:jti:<jti>` = the token's `exp` in ms; TTL = remaining lifetime + clock tolerance. */
export const REVOKED_JTI_PREFIX = 'revoked:jti:';
/** `<tag>revoked:sub:<sub>` = ms timestamp; tokens of `sub` with `iat` at or before it are revoked. */
export const REVOKED_SUB_PREFIX = 'revoked:sub:';
/** `<tag>revoked:kid:<kid>` = ms timestamp; every token signed by that key is revoked (emergency key revocation). */
export const REVOKED_KID_PREFIX = 'revoked:kid:';
/**
 * `<tag>revocation:generation` = ms when auth last completely seeded the blocklist from its ledger.
 * No TTL: its absence means the blocklist lost its data (or was never seeded).
 */
export const GENERATION_KEY = 'revocation:generation';
/**
 * `<tag>revocation:events`: the Redis Stream of every revocation event (field `e` = the JSON of a
 * `RevocationEvent`), appended by the same script as the entry it describes and trimmed
 * (`XADD … MINID ~`) to the window in which an event can still matter: longest token lifetime +
 * clock tolerance (+ a margin for clock skew). Older events cannot affect a token any verifier
 * still accepts, so the stream is itself the complete snapshot a reader needs: no SCAN.
 */
export const EVENT_STREAM_KEY = 'revocation:events';
/** The stream entry's one field: the event's JSON. */
export const EVENT_FIELD = 'e';
/**
 * While auth seeds, the marker's key holds `seeding:<random token>` instead of a number: verifiers
 * read it as "no marker" (`parseGeneration`), and `markSeeded` turns it into the generation only if
 * it is still this seed's claim, so a Redis wiped mid-seed (the claim gone with the data) is never
 * vouched for.
 */
export const SEED_CLAIM_PREFIX = 'seeding:';
/** A claim lapses after this (ms): a seeder that crashed does not leave one behind for long. */
export const SEED_CLAIM_TTL_MS = 10 * 60_000;

/**
 * The names the blocklist uses in Redis: `{<prefix>authmesh:rev}` followed by the name, so every
 * key hashes to one Cluster slot (see REVOCATION_HASH_TAG); the same names work on one node and
 * behind Sentinel.
 *
 * `prefix` (default empty) namespaces every key, e.g. so parallel test files sharing one Redis stay
 * apart. Writers and verifiers must use the same prefix.
 */
export class RevocationKeyspace {
  /** The `{…}` hash tag every key starts with. */
  readonly tag: string;
  /** The generation marker's key (see GENERATION_KEY). */
  readonly generationKey: string;
  /** The event stream's key (see EVENT_STREAM_KEY). */
  readonly streamKey: string;
  private readonly jtiPrefix: string;
  private readonly subPrefix: string;
  private readonly kidPrefix: string;

  constructor(readonly prefix = '') {
    // A brace in the prefix would end the hash tag early and scatter the keys over slots.
    if (/[{}]/.test(prefix)) throw new Error(`revocation key prefix must not contain braces: ${prefix}`);
    this.tag = `{${prefix}${REVOCATION_HASH_TAG}}`;
    this.generationKey = `${this.tag}${GENERATION_KEY}`;
    this.streamKey = `${this.tag}${EVENT_STREAM_KEY}`;
    this.jtiPrefix = `${this.tag}${REVOKED_JTI_PREFIX}`;
    this.subPrefix = `${this.tag}${REVOKED_SUB_PREFIX}`;
    this.kidPrefix = `${this.tag}${REVOKED_KID_PREFIX}`;
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

/** A stream entry id (`<ms>-<seq>`) as two numbers; undefined for anything else. */
export function parseStreamId(id: string): readonly [number, number] | undefined {
  const m = /^(\d{1,16})-(\d{1,16})$/.exec(id);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Orders stream ids as Redis does (ms, then sequence): negative, 0 or positive. Unparseable ids sort first. */
export function compareStreamIds(a: string, b: string): number {
  const x = parseStreamId(a) ?? [-1, -1];
  const y = parseStreamId(b) ?? [-1, -1];
  return x[0] !== y[0] ? x[0] - y[0] : x[1] - y[1];
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
 * Parses a stream event (or an outbox row) into a `RevocationEvent`; undefined for anything else.
 * The stream is trusted (only auth writes it) but a malformed event must never throw in a reader or
 * poison the mirror.
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
