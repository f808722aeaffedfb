import { randomBytes, randomUUID } from 'node:crypto';
import {
  type RevocationEvent,
  type RevocationKeyspace,
  type RevocationStore,
  type RevocationStoreOptions,
  SeedInterruptedError,
} from '@authmesh/revocation';

/** One store under test, with what the contract needs to look inside it. */
export interface StoreHarness {
  store: RevocationStore;
  keyspace: RevocationKeyspace;
  /** Like Redis PTTL: ms left, -1 for a key without TTL, -2 for no key. */
  pttl(key: string): Promise<number>;
  /** The stored value, or undefined. */
  rawValue(key: string): Promise<string | undefined>;
  /** Every key under the harness's prefix. */
  keys(): Promise<string[]>;
  /** Every event a verifier's feed would read (Redis: the event stream; memory: the backend's listeners), in order. */
  published: RevocationEvent[];
  /**
   * Whether seeded entries are events too. Redis: yes, a reader's full read is the stream alone.
   * Memory: no, its feed copies the backend's entries when the marker appears.
   */
  seedsAreEvents: boolean;
  /** Loses every key at once, as FLUSHALL (or a restart empty, a failover to an empty replica) does. */
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

export type HarnessFactory = (options: RevocationStoreOptions) => Promise<StoreHarness>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * The RevocationStore contract, run against every implementation (Redis and memory) so `npm start`'s
 * single-process mode behaves like production. Small TTLs (tolerance 1 s, longest token 2 s) keep
 * the expiry checks to a couple of seconds of real time: Redis expires keys on its own clock.
 */
export function describeRevocationStoreContract(name: string, factory: HarnessFactory): void {
  describe(`RevocationStore contract: ${name}`, () => {
    const TOLERANCE_S = 1;
    const MAX_LIFETIME_S = 2;
    let h: StoreHarness;

    beforeAll(async () => {
      h = await factory({
        clockToleranceSeconds: TOLERANCE_S,
        maxTokenLifetimeSeconds: MAX_LIFETIME_S,
        keyPrefix: `test:${randomBytes(4).toString('hex')}:`,
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('blocklists a jti with its exp (ms) as value and a TTL of the remaining lifetime plus tolerance, then the entry is gone', async () => {
      const jti = randomUUID();
      const writeStartedAt = Date.now();
      const expiresAtMs = writeStartedAt + 1000;
      await h.store.revokeToken(jti, new Date(expiresAtMs));
      const key = h.keyspace.jtiKey(jti);
      const ttl = await h.pttl(key);
      expect(ttl).toBeGreaterThan(1500);
      expect(ttl).toBeLessThanOrEqual(expiresAtMs + TOLERANCE_S * 1000 - writeStartedAt);
      expect(await h.rawValue(key)).toBe(String(expiresAtMs));
      expect(await h.store.isTokenRevoked(jti)).toBe(true);
      expect(await h.store.isTokenRevoked(randomUUID())).toBe(false);

      await sleep(expiresAtMs + TOLERANCE_S * 1000 - Date.now() + 50);
      expect(await h.pttl(key)).toBe(-2);
      expect(await h.store.isTokenRevoked(jti)).toBe(false);
    });

    it('writes and publishes nothing for a token already past exp plus tolerance', async () => {
      const jti = randomUUID();
      await h.store.revokeToken(jti, new Date(Date.now() - TOLERANCE_S * 1000 - 1));
      const marker = randomUUID();
      await h.store.revokeToken(marker, new Date(Date.now() + 60_000));
      // The events are ordered: once the later write's event is in, the earlier one's would be too.
      await eventually(() => h.published.some((e) => e.kind === 'jti' && e.jti === marker));
      expect(h.published.some((e) => e.kind === 'jti' && e.jti === jti)).toBe(false);
      expect(await h.pttl(h.keyspace.jtiKey(jti))).toBe(-2);
      expect(await h.store.isTokenRevoked(jti)).toBe(false);
    });

    it('still blocklists a token past exp but inside the tolerance (verifiers still accept it)', async () => {
      const jti = randomUUID();
      await h.store.revokeToken(jti, new Date(Date.now() - 400));
      const ttl = await h.pttl(h.keyspace.jtiKey(jti));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
    });

    it('stores a subject revocation as its ms timestamp with a TTL of the longest token lifetime plus tolerance', async () => {
      const sub = `user-${randomUUID()}`;
      const at = new Date();
      await h.store.revokeSubject(sub, at);
      const ttl = await h.pttl(h.keyspace.subKey(sub));
      expect(ttl).toBeGreaterThan((MAX_LIFETIME_S + TOLERANCE_S) * 1000 - 500);
      expect(ttl).toBeLessThanOrEqual((MAX_LIFETIME_S + TOLERANCE_S) * 1000);
      expect(await h.rawValue(h.keyspace.subKey(sub))).toBe(String(at.getTime()));
      expect(await h.store.subjectRevokedAt(sub)).toEqual(at);
      expect(await h.store.subjectRevokedAt(`user-${randomUUID()}`)).toBeUndefined();
    });

    it('keeps the latest subject timestamp: an older revocation arriving later does not move it back', async () => {
      const sub = `user-${randomUUID()}`;
      const newer = new Date(Date.now());
      const older = new Date(newer.getTime() - 1000);
      await h.store.revokeSubject(sub, newer);
      await h.store.revokeSubject(sub, older);
      expect(await h.store.subjectRevokedAt(sub)).toEqual(newer);
      const newest = new Date(newer.getTime() + 5);
      await h.store.revokeSubject(sub, newest);
      expect(await h.store.subjectRevokedAt(sub)).toEqual(newest);
    });

    it('measures a subject entry from its revocation time: a late replay lives only as long as it must, a stale one not at all', async () => {
      const late = `user-${randomUUID()}`;
      const windowMs = (MAX_LIFETIME_S + TOLERANCE_S) * 1000;
      await h.store.revokeSubject(late, new Date(Date.now() - windowMs + 700));
      const ttl = await h.pttl(h.keyspace.subKey(late));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(700);
      await sleep(ttl + 50);
      expect(await h.store.subjectRevokedAt(late)).toBeUndefined();

      const stale = `user-${randomUUID()}`;
      await h.store.revokeSubject(stale, new Date(Date.now() - windowMs - 1));
      expect(await h.pttl(h.keyspace.subKey(stale))).toBe(-2);
    });

    it('apply() writes both kinds of event exactly as the direct calls do', async () => {
      const jti = randomUUID();
      const sub = `user-${randomUUID()}`;
      const expiresAtMs = Date.now() + 30_000;
      const revokedAtMs = Date.now();
      await h.store.apply({ kind: 'jti', jti, expiresAtMs });
      await h.store.apply({ kind: 'sub', sub, revokedAtMs });
      expect(await h.store.isTokenRevoked(jti)).toBe(true);
      expect(await h.rawValue(h.keyspace.jtiKey(jti))).toBe(String(expiresAtMs));
      expect((await h.store.subjectRevokedAt(sub))?.getTime()).toBe(revokedAtMs);
    });

    it('publishes every write as its event', async () => {
      const jti = randomUUID();
      const sub = `user-${randomUUID()}`;
      const expiresAtMs = Date.now() + 30_000;
      const revokedAtMs = Date.now();
      await h.store.revokeToken(jti, new Date(expiresAtMs));
      await h.store.revokeSubject(sub, new Date(revokedAtMs));
      await eventually(() => h.published.some((e) => e.kind === 'sub' && e.sub === sub));
      expect(h.published).toContainEqual({ kind: 'jti', jti, expiresAtMs });
      expect(h.published).toContainEqual({ kind: 'sub', sub, revokedAtMs });
    });

    it('stores a revoked signing key like a subject (timestamp, TTL of the longest token lifetime plus tolerance) and announces it', async () => {
      const kid = `kid-${randomUUID()}`;
      const at = new Date();
      await h.store.revokeSigningKey(kid, at);
      const ttl = await h.pttl(h.keyspace.kidKey(kid));
      expect(ttl).toBeGreaterThan((MAX_LIFETIME_S + TOLERANCE_S) * 1000 - 500);
      expect(ttl).toBeLessThanOrEqual((MAX_LIFETIME_S + TOLERANCE_S) * 1000);
      expect(await h.rawValue(h.keyspace.kidKey(kid))).toBe(String(at.getTime()));
      expect(h.keyspace.eventOf(h.keyspace.kidKey(kid), String(at.getTime()))).toEqual({ kind: 'kid', kid, revokedAtMs: at.getTime() });
      await eventually(() => h.published.some((e) => e.kind === 'kid' && e.kid === kid));
    });

    it('announces a key-set change as an event without storing an entry', async () => {
      const before = (await h.keys()).length;
      const changedAtMs = Date.now() + 7; // a marker no other test uses
      await h.store.apply({ kind: 'keyset', issuer: 'https://auth.example', changedAtMs });
      await eventually(() => h.published.some((e) => e.kind === 'keyset' && e.changedAtMs === changedAtMs));
      expect((await h.keys()).length).toBeLessThanOrEqual(before);
    });

    it('announces a client change as an event without storing an entry', async () => {
      const before = (await h.keys()).length;
      const clientId = `client-${randomUUID()}`;
      await h.store.apply({ kind: 'client', clientId, changedAtMs: Date.now() });
      await eventually(() => h.published.some((e) => e.kind === 'client' && e.clientId === clientId));
      expect((await h.keys()).length).toBeLessThanOrEqual(before);
    });

    it('never leaves a key without a TTL', async () => {
      await h.store.revokeToken(randomUUID(), new Date(Date.now() + 10_000));
      await h.store.revokeSubject(`user-${randomUUID()}`, new Date());
      const keys = await h.keys();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(await h.pttl(key)).toBeGreaterThan(0);
    });

    it('has no generation marker until seeded; beginSeed then markSeeded with its token writes it without a TTL and announces resync', async () => {
      expect(await h.store.seededGeneration()).toBeUndefined();
      const token = await h.store.beginSeed();
      // A seed under way is not a complete blocklist: its claim reads as no marker.
      expect(await h.store.seededGeneration()).toBeUndefined();
      const generation = Date.now();
      await h.store.markSeeded(generation, token);
      expect(await h.store.seededGeneration()).toBe(generation);
      expect(await h.rawValue(h.keyspace.generationKey)).toBe(String(generation));
      // No TTL (Redis -1; the memory backend's "never" is an infinite one): only losing the data loses it.
      const ttl = await h.pttl(h.keyspace.generationKey);
      expect(ttl === -1 || ttl === Number.POSITIVE_INFINITY).toBe(true);
      await eventually(() => h.published.some((e) => e.kind === 'resync' && e.generation === generation));
    });

    it('refuses a second markSeeded with a used token: the marker is written once per claim', async () => {
      const token = await h.store.beginSeed();
      const generation = Date.now() + 11;
      await h.store.markSeeded(generation, token);
      await expect(h.store.markSeeded(generation + 1, token)).rejects.toBeInstanceOf(SeedInterruptedError);
      expect(await h.store.seededGeneration()).toBe(generation);
    });

    it('a second beginSeed takes the seed over: the first token is refused, the second writes the marker', async () => {
      const first = await h.store.beginSeed();
      const second = await h.store.beginSeed();
      const generation = Date.now() + 13;
      const error = await h.store.markSeeded(generation, first).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SeedInterruptedError);
      expect(error).toMatchObject({ code: 'revocation_seed_interrupted' });
      expect(await h.store.seededGeneration()).toBeUndefined();
      await h.store.markSeeded(generation + 1, second);
      expect(await h.store.seededGeneration()).toBe(generation + 1);
    });

    it('apply() of a replayed resync writes no marker and announces nothing: only a seed holding a claim may', async () => {
      await h.store.beginSeed(); // the marker's key now holds a claim, not a generation
      const generation = Date.now() + 17;
      await h.store.apply({ kind: 'resync', generation, atMs: Date.now() });
      const probe = randomUUID();
      await h.store.revokeToken(probe, new Date(Date.now() + 60_000));
      await eventually(() => h.published.some((e) => e.kind === 'jti' && e.jti === probe));
      expect(h.published.some((e) => e.kind === 'resync' && e.generation === generation)).toBe(false);
      expect(await h.store.seededGeneration()).toBeUndefined();
    });

    it('seedEntries writes the same keys, values and TTLs as the ordinary writes, keeps the latest timestamp, and publishes each live entry once (Redis) or nothing (memory)', async () => {
      const expiresAtMs = Date.now() + 1500;
      const at = Date.now();
      const [jtiA, jtiB, stale] = [randomUUID(), randomUUID(), randomUUID()];
      const [subA, subB, kidA, kidB] = [`user-${randomUUID()}`, `user-${randomUUID()}`, `kid-${randomUUID()}`, `kid-${randomUUID()}`];
      await h.store.revokeToken(jtiA, new Date(expiresAtMs));
      await h.store.revokeSubject(subA, new Date(at));
      await h.store.revokeSigningKey(kidA, new Date(at));
      const newer = at + 50;
      await h.store.revokeSubject(subB, new Date(newer));
      await h.store.seedEntries([
        { kind: 'jti', jti: jtiB, expiresAtMs },
        { kind: 'jti', jti: stale, expiresAtMs: Date.now() - TOLERANCE_S * 1000 - 1 },
        { kind: 'sub', sub: subA, revokedAtMs: at },
        { kind: 'sub', sub: subB, revokedAtMs: at }, // older than what is stored: kept at `newer`
        { kind: 'kid', kid: kidB, revokedAtMs: at },
        { kind: 'keyset', issuer: 'https://seed.example', changedAtMs: at }, // an announcement: nothing to seed
      ]);
      // Same values and TTLs (to within the few ms between the writes) as the announced writes.
      expect(await h.rawValue(h.keyspace.jtiKey(jtiB))).toBe(String(expiresAtMs));
      expect(Math.abs((await h.pttl(h.keyspace.jtiKey(jtiB))) - (await h.pttl(h.keyspace.jtiKey(jtiA))))).toBeLessThan(200);
      expect(await h.rawValue(h.keyspace.subKey(subA))).toBe(String(at));
      expect(await h.pttl(h.keyspace.subKey(subA))).toBeGreaterThan((MAX_LIFETIME_S + TOLERANCE_S) * 1000 - 500);
      expect(await h.pttl(h.keyspace.subKey(subA))).toBeLessThanOrEqual((MAX_LIFETIME_S + TOLERANCE_S) * 1000);
      expect(await h.store.subjectRevokedAt(subB)).toEqual(new Date(newer));
      expect(await h.rawValue(h.keyspace.kidKey(kidB))).toBe(String(at));
      expect(Math.abs((await h.pttl(h.keyspace.kidKey(kidB))) - (await h.pttl(h.keyspace.kidKey(kidA))))).toBeLessThan(200);
      expect(await h.pttl(h.keyspace.jtiKey(stale))).toBe(-2);
      expect(await h.store.isTokenRevoked(jtiB)).toBe(true);

      // The events are ordered: once a later write's event is in, a seeded entry's would be too.
      const probe = randomUUID();
      await h.store.revokeToken(probe, new Date(Date.now() + 60_000));
      await eventually(() => h.published.some((e) => e.kind === 'jti' && e.jti === probe));
      const seeded = (e: RevocationEvent): boolean =>
        (e.kind === 'jti' && (e.jti === jtiB || e.jti === stale)) ||
        (e.kind === 'sub' && e.sub === subB && e.revokedAtMs === at) ||
        (e.kind === 'kid' && e.kid === kidB) ||
        (e.kind === 'keyset' && e.issuer === 'https://seed.example');
      // Only live entries: not the stale jti, not the announcement; subB as seeded (readers keep the latest).
      expect(h.published.filter(seeded)).toEqual(
        h.seedsAreEvents
          ? [
              { kind: 'jti', jti: jtiB, expiresAtMs },
              { kind: 'sub', sub: subB, revokedAtMs: at },
              { kind: 'kid', kid: kidB, revokedAtMs: at },
            ]
          : [],
      );
      expect(h.published.filter((e) => e.kind === 'sub' && e.sub === subA)).toHaveLength(h.seedsAreEvents ? 2 : 1);
    });

    it('a FLUSHALL between beginSeed and markSeeded: markSeeded throws SeedInterruptedError, writes no marker and announces nothing', async () => {
      const token = await h.store.beginSeed();
      await h.store.seedEntries([{ kind: 'jti', jti: randomUUID(), expiresAtMs: Date.now() + 60_000 }]);
      await h.flushAll(); // the early batches are gone
      const late = randomUUID();
      await h.store.seedEntries([{ kind: 'jti', jti: late, expiresAtMs: Date.now() + 60_000 }]);
      const generation = Date.now() + 19;
      await expect(h.store.markSeeded(generation, token)).rejects.toMatchObject({ code: 'revocation_seed_interrupted' });
      expect(await h.store.seededGeneration()).toBeUndefined();
      expect(await h.rawValue(h.keyspace.generationKey)).toBeUndefined();
      const probe = randomUUID();
      await h.store.revokeToken(probe, new Date(Date.now() + 60_000));
      await eventually(() => h.published.some((e) => e.kind === 'jti' && e.jti === probe));
      expect(h.published.some((e) => e.kind === 'resync' && e.generation === generation)).toBe(false);
      // The next seed (auth's next check) claims again and completes.
      await h.store.markSeeded(generation + 1, await h.store.beginSeed());
      expect(await h.store.seededGeneration()).toBe(generation + 1);
    });

    it('refuses an invalid date (a caller bug) instead of writing a key that never expires', async () => {
      await expect(h.store.revokeToken(randomUUID(), new Date(Number.NaN))).rejects.toThrow(TypeError);
      await expect(h.store.revokeSubject('u', new Date(Number.NaN))).rejects.toThrow(TypeError);
    });
  });
}
