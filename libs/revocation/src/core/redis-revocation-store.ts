import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { RevocationStoreUnavailableError, SeedInterruptedError } from '../errors.js';
import { type DeliveryCheck, type RevocationEvent, type RevocationStore, applyRevocationEvent } from '../revocation-store.js';
import { type RevocationStoreOptions, checkStoreOptions, msOf, subjectEntryTtlMs, tokenEntryTtlMs } from './entry-ttl.js';
import { EVENT_FIELD, RevocationKeyspace, SEED_CLAIM_PREFIX, SEED_CLAIM_TTL_MS, parseGeneration } from './keyspace.js';

/**
 * One script per write so the entry and its stream event are atomic: a key is never written
 * without its event, and the event never exists without its key. Every key a script touches
 * carries the keyspace's hash tag, so the scripts are Cluster-legal (one slot).
 */
class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

/**
 * Appends ARGV[w] (the event's JSON) to the stream KEYS[s], trimming what is older than the window
 * ARGV[w-1] (ms) as Redis's own clock (TIME) reads it: `MINID ~` keeps at least every event of the
 * window (approximate trimming only ever keeps more), and TIME rather than the writer's clock means
 * writers with skewed clocks agree on what is trimmed. Returns the new entry's id.
 */
const APPEND = `local function append(stream, windowMs, event)
  local t = redis.call('TIME')
  local minId = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(windowMs)
  if minId < 0 then minId = 0 end
  return redis.call('XADD', stream, 'MINID', '~', string.format('%.0f', minId), '*', '${EVENT_FIELD}', event)
end
`;
// SET … PX: the entry never exists without a TTL.
const SET_ENTRY = `local function setEntry(key, value, ttl) redis.call('SET', key, value, 'PX', ttl) end
`;
// Keeps the latest timestamp: a late replay of an older revocation must not shorten a newer one.
const SET_LATEST = `local function setLatest(key, value, ttl)
  local current = tonumber(redis.call('GET', key))
  if current == nil or current < tonumber(value) then redis.call('SET', key, value, 'PX', ttl) end
end
`;

// KEYS: entry, stream. ARGV: value, ttl, window, event.
const REVOKE_TOKEN = new Script(`${APPEND}${SET_ENTRY}setEntry(KEYS[1], ARGV[1], ARGV[2])
return append(KEYS[2], ARGV[3], ARGV[4])`);
const REVOKE_SUBJECT = new Script(`${APPEND}${SET_LATEST}setLatest(KEYS[1], ARGV[1], ARGV[2])
return append(KEYS[2], ARGV[3], ARGV[4])`);
// KEYS: stream. ARGV: window, event. An announcement stores nothing but its event.
const ANNOUNCE = new Script(`${APPEND}return append(KEYS[1], ARGV[1], ARGV[2])`);
// KEYS: stream, entry1..entryN. ARGV: window, then per entry value, ttl, keepLatest (1/0), event.
// A seed batch in one script: every key shares the hash tag, so one call is Cluster-legal, and a
// batch costs one round trip instead of one per ledger row.
const SEED_BATCH = new Script(`${APPEND}${SET_ENTRY}${SET_LATEST}local last = false
for i = 2, #KEYS do
  local a = (i - 2) * 4 + 2
  if ARGV[a + 2] == '1' then setLatest(KEYS[i], ARGV[a], ARGV[a + 1]) else setEntry(KEYS[i], ARGV[a], ARGV[a + 1]) end
  last = append(KEYS[1], ARGV[1], ARGV[a + 3])
end
return last`);
// Compare-and-set on the marker: a Redis flushed, restarted empty or failed over since beginSeed
// no longer holds the claim, and must not be vouched for. SET without PX drops the claim's TTL:
// the marker lives as long as the data. KEYS: marker, stream. ARGV: claim, generation, window, event.
const MARK_SEEDED = new Script(`${APPEND}if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[2])
return append(KEYS[2], ARGV[3], ARGV[4])`);
// KEYS: stream. ARGV: ids. Which of them the stream no longer holds, and its last id ('0-0' when
// absent): auth's check that Redis kept what it acknowledged (RevocationReseeder).
const VERIFY_DELIVERED = new Script(`local missing = {}
for i = 1, #ARGV do
  if #redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i]) == 0 then missing[#missing + 1] = ARGV[i] end
end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
return {missing, last[1] and last[1][1] or '0-0'}`);

/** Seed entries per script call: a few ms of Redis time each, so other clients are not held up. */
const SEED_BATCH_SIZE = 200;
/** Seed scripts in flight at once (sent back to back on the connection). */
const SEED_BATCHES_IN_FLIGHT = 4;
/**
 * Kept in the stream beyond the longest token lifetime + tolerance: auth's and Redis's clocks may
 * disagree (the trim uses Redis's TIME, the events' timestamps auth's clock), and an event must not
 * be trimmed while a token it revokes is still accepted somewhere.
 */
export const STREAM_SKEW_MARGIN_MS = 60_000;

/**
 * The blocklist in Redis: `SET {tag}revoked:jti:<jti> <expMs> PX <ttl>`, `{tag}revoked:sub:<sub>`
 * keeping the latest ms timestamp, and every write appended, in the same script, to the event
 * stream `{tag}revocation:events` as the JSON of its `RevocationEvent` (seeded entries too, so a
 * reader never needs anything but the stream). Every key shares one hash tag, so a `Redis` (single
 * node or Sentinel) and a `Cluster` client both work. Every Redis failure surfaces as
 * `RevocationStoreUnavailableError`. Writes return the stream id Redis gave their event.
 *
 * @example
 * const store = new RedisRevocationStore(redis, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
 * await store.revokeToken(claims.jti, new Date(claims.exp * 1000));
 * await store.revokeSubject(userId, new Date()); // logout everywhere
 */
export class RedisRevocationStore implements RevocationStore {
  readonly keyspace: RevocationKeyspace;
  /** How long the stream keeps an event (ms): longest token lifetime + tolerance + skew margin. */
  readonly streamWindowMs: number;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RevocationStoreOptions,
  ) {
    checkStoreOptions(options);
    this.keyspace = new RevocationKeyspace(options.keyPrefix);
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.commandTimeoutMs ?? 2000;
    this.streamWindowMs =
      (options.maxTokenLifetimeSeconds + options.clockToleranceSeconds) * 1000 + (options.streamMarginMs ?? STREAM_SKEW_MARGIN_MS);
  }

  async revokeToken(jti: string, expiresAt: Date): Promise<string | undefined> {
    const expiresAtMs = msOf(expiresAt, 'expiresAt');
    const ttlMs = tokenEntryTtlMs(expiresAtMs, this.now(), this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return undefined; // already unusable everywhere: nothing to block
    const event: RevocationEvent = { kind: 'jti', jti, expiresAtMs };
    return this.write('revokeToken', REVOKE_TOKEN, [this.keyspace.jtiKey(jti)], [expiresAtMs, ttlMs, JSON.stringify(event)]);
  }

  async revokeSubject(sub: string, at: Date): Promise<string | undefined> {
    const revokedAtMs = msOf(at, 'at');
    const ttlMs = subjectEntryTtlMs(revokedAtMs, this.now(), this.options.maxTokenLifetimeSeconds, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return undefined; // every token it could revoke has expired
    const event: RevocationEvent = { kind: 'sub', sub, revokedAtMs };
    return this.write('revokeSubject', REVOKE_SUBJECT, [this.keyspace.subKey(sub)], [revokedAtMs, ttlMs, JSON.stringify(event)]);
  }

  async revokeSigningKey(kid: string, at: Date): Promise<string | undefined> {
    const revokedAtMs = msOf(at, 'at');
    const ttlMs = subjectEntryTtlMs(revokedAtMs, this.now(), this.options.maxTokenLifetimeSeconds, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return undefined; // every token the key signed has expired
    const event: RevocationEvent = { kind: 'kid', kid, revokedAtMs };
    // The subject script fits: one key with a timestamp, the latest kept, written with its event atomically.
    return this.write('revokeSigningKey', REVOKE_SUBJECT, [this.keyspace.kidKey(kid)], [revokedAtMs, ttlMs, JSON.stringify(event)]);
  }

  async announceKeysetChange(issuer: string, at: Date): Promise<string | undefined> {
    const event: RevocationEvent = { kind: 'keyset', issuer, changedAtMs: msOf(at, 'at') };
    return this.announce('announceKeysetChange', event);
  }

  async announceClientChange(clientId: string, at: Date): Promise<string | undefined> {
    const event: RevocationEvent = { kind: 'client', clientId, changedAtMs: msOf(at, 'at') };
    return this.announce('announceClientChange', event);
  }

  apply(event: RevocationEvent): Promise<string | undefined> {
    return applyRevocationEvent(this, event);
  }

  async seededGeneration(): Promise<number | undefined> {
    return parseGeneration(await this.bounded('seededGeneration', this.client.get(this.keyspace.generationKey)));
  }

  async beginSeed(): Promise<string> {
    const token = randomBytes(16).toString('hex');
    await this.bounded('beginSeed', this.client.set(this.keyspace.generationKey, SEED_CLAIM_PREFIX + token, 'PX', SEED_CLAIM_TTL_MS));
    return token;
  }

  async seedEntries(events: readonly RevocationEvent[]): Promise<void> {
    const nowMs = this.now();
    const entries = events.flatMap((event) => this.entryOf(event, nowMs) ?? []);
    const batches: (typeof entries)[] = [];
    for (let i = 0; i < entries.length; i += SEED_BATCH_SIZE) batches.push(entries.slice(i, i + SEED_BATCH_SIZE));
    const writeBatch = (batch: typeof entries): Promise<unknown> =>
      this.run(
        'seedEntries',
        SEED_BATCH,
        [this.keyspace.streamKey, ...batch.map((e) => e.key)],
        [this.streamWindowMs, ...batch.flatMap((e) => [e.value, e.ttlMs, e.keepLatest ? '1' : '0', JSON.stringify(e.event)])],
      );
    for (let i = 0; i < batches.length; i += SEED_BATCHES_IN_FLIGHT) {
      await Promise.all(batches.slice(i, i + SEED_BATCHES_IN_FLIGHT).map(writeBatch));
    }
  }

  async markSeeded(generation: number, token: string): Promise<void> {
    const event: RevocationEvent = { kind: 'resync', generation, atMs: this.now() };
    const written = await this.run(
      'markSeeded',
      MARK_SEEDED,
      [this.keyspace.generationKey, this.keyspace.streamKey],
      [SEED_CLAIM_PREFIX + token, String(generation), this.streamWindowMs, JSON.stringify(event)],
    );
    if (typeof written !== 'string') {
      throw new SeedInterruptedError(
        `${this.keyspace.generationKey} no longer holds this seed's claim (Redis lost its data during the seed, or another seed took over)`,
      );
    }
  }

  async verifyDelivered(ids: readonly string[]): Promise<DeliveryCheck> {
    const [missing, lastId] = (await this.run('verifyDelivered', VERIFY_DELIVERED, [this.keyspace.streamKey], [...ids])) as [
      string[],
      string,
    ];
    return { missing, lastId };
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return (await this.bounded('isTokenRevoked', this.client.exists(this.keyspace.jtiKey(jti)))) === 1;
  }

  async subjectRevokedAt(sub: string): Promise<Date | undefined> {
    const value = await this.bounded('subjectRevokedAt', this.client.get(this.keyspace.subKey(sub)));
    return value === null ? undefined : new Date(Number(value));
  }

  /** An entry write: KEYS = entry key(s) + the stream; ARGV = the values + the window before the event's JSON. */
  private async write(operation: string, script: Script, keys: string[], [value, ttl, event]: [number, number, string]): Promise<string> {
    return String(await this.run(operation, script, [...keys, this.keyspace.streamKey], [value, ttl, this.streamWindowMs, event]));
  }

  private async announce(operation: string, event: RevocationEvent): Promise<string> {
    return String(await this.run(operation, ANNOUNCE, [this.keyspace.streamKey], [this.streamWindowMs, JSON.stringify(event)]));
  }

  private async run(operation: string, script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.bounded(operation, this.client.evalsha(script.sha, keys.length, ...keys, ...args));
    } catch (e) {
      // First use on this server (or after SCRIPT FLUSH / a restart): send the source once.
      if (!(e instanceof RevocationStoreUnavailableError) || !/NOSCRIPT/.test(String(e.detail))) throw e;
      return this.bounded(operation, this.client.eval(script.source, keys.length, ...keys, ...args));
    }
  }

  /** What an event stores: its key, value and TTL (the ordinary writes' rules), or undefined for nothing. */
  private entryOf(
    event: RevocationEvent,
    nowMs: number,
  ): { key: string; value: number; ttlMs: number; keepLatest: boolean; event: RevocationEvent } | undefined {
    const { clockToleranceSeconds: tol, maxTokenLifetimeSeconds: max } = this.options;
    let entry: { key: string; value: number; ttlMs: number; keepLatest: boolean; event: RevocationEvent };
    switch (event.kind) {
      case 'jti':
        entry = {
          key: this.keyspace.jtiKey(event.jti),
          value: event.expiresAtMs,
          ttlMs: tokenEntryTtlMs(event.expiresAtMs, nowMs, tol),
          keepLatest: false,
          event,
        };
        break;
      case 'sub':
        entry = {
          key: this.keyspace.subKey(event.sub),
          value: event.revokedAtMs,
          ttlMs: subjectEntryTtlMs(event.revokedAtMs, nowMs, max, tol),
          keepLatest: true,
          event,
        };
        break;
      case 'kid':
        entry = {
          key: this.keyspace.kidKey(event.kid),
          value: event.revokedAtMs,
          ttlMs: subjectEntryTtlMs(event.revokedAtMs, nowMs, max, tol),
          keepLatest: true,
          event,
        };
        break;
      default:
        return undefined; // announcements store nothing
    }
    return entry.ttlMs > 0 ? entry : undefined; // already unusable everywhere: nothing to block
  }

  /** Maps any failure to RevocationStoreUnavailableError and bounds the wait (a hung server must not hang a request). */
  private async bounded<T>(operation: string, command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        command,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } catch (e) {
      throw new RevocationStoreUnavailableError(operation, e);
    } finally {
      clearTimeout(timer);
    }
  }
}
