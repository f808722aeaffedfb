import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { RevocationStoreUnavailableError } from '../errors.js';
import { type RevocationEvent, type RevocationStore, applyRevocationEvent } from '../revocation-store.js';
import { type RevocationStoreOptions, checkStoreOptions, msOf, subjectEntryTtlMs, tokenEntryTtlMs } from './entry-ttl.js';
import { RevocationKeyspace } from './keyspace.js';

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
const REVOKE_TOKEN = new Script(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

// Keeps the latest timestamp: a late replay of an older revocation must not shorten a newer one.
const REVOKE_SUBJECT = new Script(`
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * The blocklist in Redis: `SET revoked:jti:<jti> <expMs> PX <ttl>`, `revoked:sub:<sub>` keeping the
 * latest ms timestamp, each write published on `authmesh:revocations` as the JSON of its
 * `RevocationEvent`. Single-key commands only, so a `Redis` (single node or Sentinel) and a
 * `Cluster` client both work. Every Redis failure surfaces as `RevocationStoreUnavailableError`.
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
    const value = await this.bounded('seededGeneration', this.client.get(this.keyspace.generationKey));
    return value !== null && /^\d{1,16}$/.test(value) ? Number(value) : undefined;
  }

  async markSeeded(generation: number): Promise<void> {
    const event: RevocationEvent = { kind: 'resync', generation, atMs: this.now() };
    await this.bounded('markSeeded', this.client.set(this.keyspace.generationKey, String(generation)));
    await this.bounded('markSeeded', this.client.publish(this.keyspace.channel, JSON.stringify(event)));
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return (await this.bounded('isTokenRevoked', this.client.exists(this.keyspace.jtiKey(jti)))) === 1;
  }

  async subjectRevokedAt(sub: string): Promise<Date | undefined> {
    const value = await this.bounded('subjectRevokedAt', this.client.get(this.keyspace.subKey(sub)));
    return value === null ? undefined : new Date(Number(value));
  }

  private async run(operation: string, script: Script, key: string, args: (string | number)[]): Promise<void> {
    try {
      await this.bounded(operation, this.client.evalsha(script.sha, 1, key, ...args));
    } catch (e) {
      // First use on this server (or after SCRIPT FLUSH / a restart): send the source once.
      if (!(e instanceof RevocationStoreUnavailableError) || !/NOSCRIPT/.test(String(e.detail))) throw e;
      await this.bounded(operation, this.client.eval(script.source, 1, key, ...args));
    }
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
