import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { RevocationStoreUnavailableError, SeedInterruptedError } from '../errors.js';
import { type RevocationEvent, type RevocationStore, applyRevocationEvent } from '../revocation-store.js';
import { type RevocationStoreOptions, checkStoreOptions, msOf, subjectEntryTtlMs, tokenEntryTtlMs } from './entry-ttl.js';
import { RevocationKeyspace, SEED_CLAIM_PREFIX, SEED_CLAIM_TTL_MS, parseGeneration } from './keyspace.js';

/**
 * One script per write so the entry and its announcement are atomic: a verifier that receives the
 * message can read the key, and a key is never written without being announced. Each touches one
 * key (KEYS[1]); PUBLISH is not a key command, so both run unchanged on Redis Cluster.
 */
class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

// SET … PX: the entry never exists without a TTL.
const SET_ENTRY = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])`;
// Keeps the latest timestamp: a late replay of an older revocation must not shorten a newer one.
const SET_LATEST = `local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end`;
const ANNOUNCE = `redis.call('PUBLISH', ARGV[3], ARGV[4])`;

const REVOKE_TOKEN = new Script(`${SET_ENTRY}\n${ANNOUNCE}\nreturn 1`);
const REVOKE_SUBJECT = new Script(`${SET_LATEST}\n${ANNOUNCE}\nreturn 1`);
// A seed's writes: the same logic, unannounced (the seed's one `resync` stands for them all).
const SEED_TOKEN = new Script(`${SET_ENTRY}\nreturn 1`);
const SEED_SUBJECT = new Script(`${SET_LATEST}\nreturn 1`);

// Compare-and-set on the marker's one key: a Redis flushed, restarted empty or failed over since
// beginSeed no longer holds the claim, and must not be vouched for. SET without PX drops the
// claim's TTL: the marker lives as long as the data.
const MARK_SEEDED = new Script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Seed writes in flight at once: sent back to back on the connection (pipelined) without queueing
 * a whole ledger batch in the client.
 */
const SEED_WRITES_IN_FLIGHT = 256;

/**
 * The blocklist in Redis: `SET revoked:jti:<jti> <expMs> PX <ttl>`, `revoked:sub:<sub>` keeping the
 * latest ms timestamp, each write published on `authmesh:revocations` as the JSON of its
 * `RevocationEvent` (a seed's `seedEntries` excepted: its final `resync` is its one message).
 * Single-key commands only, so a `Redis` (single node or Sentinel) and a `Cluster` client both work. Every Redis failure surfaces as `RevocationStoreUnavailableError`.
 *
 * @example
 * const store = new RedisRevocationStore(redis, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
 * await store.revokeToken(claims.jti, new Date(claims.exp * 1000));
 * await store.revokeSubject(userId, new Date()); // logout everywhere
 */
export class RedisRevocationStore implements RevocationStore {
  readonly keyspace: RevocationKeyspace;
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
  }

  async revokeToken(jti: string, expiresAt: Date): Promise<void> {
    const expiresAtMs = msOf(expiresAt, 'expiresAt');
    const ttlMs = tokenEntryTtlMs(expiresAtMs, this.now(), this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return; // already unusable everywhere: nothing to block
    const event: RevocationEvent = { kind: 'jti', jti, expiresAtMs };
    await this.run('revokeToken', REVOKE_TOKEN, this.keyspace.jtiKey(jti), [
      expiresAtMs,
      ttlMs,
      this.keyspace.channel,
      JSON.stringify(event),
    ]);
  }

  async revokeSubject(sub: string, at: Date): Promise<void> {
    const revokedAtMs = msOf(at, 'at');
    const ttlMs = subjectEntryTtlMs(revokedAtMs, this.now(), this.options.maxTokenLifetimeSeconds, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return; // every token it could revoke has expired
    const event: RevocationEvent = { kind: 'sub', sub, revokedAtMs };
    await this.run('revokeSubject', REVOKE_SUBJECT, this.keyspace.subKey(sub), [
      revokedAtMs,
      ttlMs,
      this.keyspace.channel,
      JSON.stringify(event),
    ]);
  }

  async revokeSigningKey(kid: string, at: Date): Promise<void> {
    const revokedAtMs = msOf(at, 'at');
    const ttlMs = subjectEntryTtlMs(revokedAtMs, this.now(), this.options.maxTokenLifetimeSeconds, this.options.clockToleranceSeconds);
    if (ttlMs <= 0) return; // every token the key signed has expired
    const event: RevocationEvent = { kind: 'kid', kid, revokedAtMs };
    // The subject script fits: one key with a timestamp, the latest kept, written and announced atomically.
    await this.run('revokeSigningKey', REVOKE_SUBJECT, this.keyspace.kidKey(kid), [
      revokedAtMs,
      ttlMs,
      this.keyspace.channel,
      JSON.stringify(event),
    ]);
  }

  async announceKeysetChange(issuer: string, at: Date): Promise<void> {
    const event: RevocationEvent = { kind: 'keyset', issuer, changedAtMs: msOf(at, 'at') };
    await this.bounded('announceKeysetChange', this.client.publish(this.keyspace.channel, JSON.stringify(event)));
  }

  async announceClientChange(clientId: string, at: Date): Promise<void> {
    const event: RevocationEvent = { kind: 'client', clientId, changedAtMs: msOf(at, 'at') };
    await this.bounded('announceClientChange', this.client.publish(this.keyspace.channel, JSON.stringify(event)));
  }

  apply(event: RevocationEvent): Promise<void> {
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
    const writes: (() => Promise<unknown>)[] = [];
    for (const event of events) {
      const write = this.entryOf(event, nowMs);
      if (write === undefined) continue;
      const script = write.keepLatest ? SEED_SUBJECT : SEED_TOKEN;
      writes.push(() => this.run('seedEntries', script, write.key, [write.value, write.ttlMs]));
    }
    // Many commands in flight rather than a MULTI/pipeline object: an ioredis Cluster pipeline must
    // keep to one slot, while separate single-key commands go to their own nodes, still written
    // back to back on each connection.
    for (let i = 0; i < writes.length; i += SEED_WRITES_IN_FLIGHT) {
      await Promise.all(writes.slice(i, i + SEED_WRITES_IN_FLIGHT).map((write) => write()));
    }
  }

  async markSeeded(generation: number, token: string): Promise<void> {
    const event: RevocationEvent = { kind: 'resync', generation, atMs: this.now() };
    const written = await this.run('markSeeded', MARK_SEEDED, this.keyspace.generationKey, [
      SEED_CLAIM_PREFIX + token,
      String(generation),
      this.keyspace.channel,
      JSON.stringify(event),
    ]);
    if (written !== 1) {
      throw new SeedInterruptedError(
        `${this.keyspace.generationKey} no longer holds this seed's claim (Redis lost its data during the seed, or another seed took over)`,
      );
    }
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return (await this.bounded('isTokenRevoked', this.client.exists(this.keyspace.jtiKey(jti)))) === 1;
  }

  async subjectRevokedAt(sub: string): Promise<Date | undefined> {
    const value = await this.bounded('subjectRevokedAt', this.client.get(this.keyspace.subKey(sub)));
    return value === null ? undefined : new Date(Number(value));
  }

  private async run(operation: string, script: Script, key: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await this.bounded(operation, this.client.evalsha(script.sha, 1, key, ...args));
    } catch (e) {
      // First use on this server (or after SCRIPT FLUSH / a restart): send the source once.
      if (!(e instanceof RevocationStoreUnavailableError) || !/NOSCRIPT/.test(String(e.detail))) throw e;
      return this.bounded(operation, this.client.eval(script.source, 1, key, ...args));
    }
  }

  /** What an event stores: its key, value and TTL (the ordinary writes' rules), or undefined for nothing. */
  private entryOf(event: RevocationEvent, nowMs: number): { key: string; value: number; ttlMs: number; keepLatest: boolean } | undefined {
    const { clockToleranceSeconds: tol, maxTokenLifetimeSeconds: max } = this.options;
    let entry: { key: string; value: number; ttlMs: number; keepLatest: boolean };
    switch (event.kind) {
      case 'jti':
        entry = {
          key: this.keyspace.jtiKey(event.jti),
          value: event.expiresAtMs,
          ttlMs: tokenEntryTtlMs(event.expiresAtMs, nowMs, tol),
          keepLatest: false,
        };
        break;
      case 'sub':
        entry = {
          key: this.keyspace.subKey(event.sub),
          value: event.revokedAtMs,
          ttlMs: subjectEntryTtlMs(event.revokedAtMs, nowMs, max, tol),
          keepLatest: true,
        };
        break;
      case 'kid':
        entry = {
          key: this.keyspace.kidKey(event.kid),
          value: event.revokedAtMs,
          ttlMs: subjectEntryTtlMs(event.revokedAtMs, nowMs, max, tol),
          keepLatest: true,
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
