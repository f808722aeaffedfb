import { jest } from '@jest/globals';
import { ConsoleLogger, Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { MetricsService } from '@authmesh/platform';
import { MemoryRevocationBackend, MemoryRevocationStore, type RevocationEvent, type RevocationStore } from '@authmesh/revocation';
import type { LedgerRow, RevocationLedger } from './revocation-ledger.repository.js';
import { RevocationReseeder } from './revocation-reseeder.service.js';

const NOW = Date.now();
const OPTIONS = { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 };

/**
 * A ledger of `n` live jti rows, paged by id as the SQL does; counts the pages asked for. `delivered`:
 * the stream ids of its newest delivered rows, with when they were delivered (ms).
 */
function ledgerOf(n: number, delivered: { streamId: string; at: number }[] = []): { ledger: RevocationLedger; pages: number[] } {
  const rows: LedgerRow[] = Array.from({ length: n }, (_, i) => ({
    id: String(i + 1),
    event: { kind: 'jti', jti: `j${i + 1}`, expiresAtMs: NOW + 600_000 },
    attempts: 0,
  }));
  const pages: number[] = [];
  const ledger = {
    liveAfter: async (_tx: EntityManager, afterId: string, _now: Date, limit: number) => {
      const page = rows.filter((r) => Number(r.id) > Number(afterId)).slice(0, limit);
      pages.push(page.length);
      return page;
    },
    recentStreamIds: async (since: Date, limit: number) =>
      delivered
        .filter((d) => d.at > since.getTime())
        .sort((a, b) => b.at - a.at)
        .slice(0, limit)
        .map((d) => d.streamId),
  } as unknown as RevocationLedger;
  return { ledger, pages };
}

/** A DataSource whose transaction answers the advisory lock with `locked`. */
function dbWithLock(locked: boolean | (() => boolean)): DataSource {
  const tx = { query: async () => [{ locked: typeof locked === 'function' ? locked() : locked }] } as unknown as EntityManager;
  return { transaction: async <T>(work: (m: EntityManager) => Promise<T>) => work(tx) } as unknown as DataSource;
}

async function metric(metrics: MetricsService, name: string): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => !('le' in v.labels))?.value ?? 0;
}

describe('RevocationReseeder', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));
  let store: MemoryRevocationStore;
  let metrics: MetricsService;
  let announced: RevocationEvent[];

  beforeEach(() => {
    const backend = new MemoryRevocationBackend();
    store = new MemoryRevocationStore(backend, OPTIONS);
    metrics = new MetricsService('auth');
    announced = [];
    backend.subscribe((e) => announced.push(e));
  });

  it('re-seeds a store without a generation marker from every live ledger row, in pages, then writes the marker', async () => {
    const { ledger, pages } = ledgerOf(2500);
    const outcome = await new RevocationReseeder(dbWithLock(true), store, ledger, metrics).check();
    expect(outcome?.entries).toBe(2500);
    expect(pages).toEqual([1000, 1000, 500]);
    expect(await store.isTokenRevoked('j1')).toBe(true);
    expect(await store.isTokenRevoked('j2500')).toBe(true);
    expect(await store.seededGeneration()).toBe(outcome!.generation);
    // One message for the whole seed, and last: a verifier that sees it sees every entry, and no
    // verifier is sent one message per ledger row.
    expect(announced).toEqual([{ kind: 'resync', generation: outcome!.generation, atMs: expect.any(Number) }]);
    expect(await metric(metrics, 'revocation_reseeds_total')).toBe(1);
    expect(await metric(metrics, 'revocation_reseed_entries_total')).toBe(2500);
  });

  it('does nothing while the marker is there', async () => {
    await store.markSeeded(NOW, await store.beginSeed());
    const { ledger, pages } = ledgerOf(3);
    expect(await new RevocationReseeder(dbWithLock(true), store, ledger, metrics).check()).toBeUndefined();
    expect(pages).toEqual([]);
  });

  it('treats a store it cannot read as an outage, not as lost data: nothing is written', async () => {
    let writes = 0;
    const down = {
      seededGeneration: async () => {
        throw new Error('ECONNREFUSED');
      },
      beginSeed: async () => {
        writes++;
        return 'token';
      },
      seedEntries: async () => {
        writes++;
      },
      markSeeded: async () => {
        writes++;
      },
    } as unknown as RevocationStore;
    const { ledger, pages } = ledgerOf(3);
    expect(await new RevocationReseeder(dbWithLock(true), down, ledger, metrics).check()).toBeUndefined();
    expect(pages).toEqual([]);
    expect(writes).toBe(0);
  });

  it('leaves the seed to the instance holding the lock', async () => {
    const { ledger, pages } = ledgerOf(3);
    expect(await new RevocationReseeder(dbWithLock(false), store, ledger, metrics).check()).toBeUndefined();
    expect(pages).toEqual([]);
    expect(await store.seededGeneration()).toBeUndefined();
  });

  it('re-checks the marker under the lock: another instance that just finished is not seeded over', async () => {
    const { ledger, pages } = ledgerOf(3);
    // The other instance completes between our first read and our lock.
    const db = dbWithLock(() => {
      store.backend.set(store.keyspace.generationKey, NOW, Number.POSITIVE_INFINITY, NOW);
      return true;
    });
    expect(await new RevocationReseeder(db, store, ledger, metrics).check()).toBeUndefined();
    expect(pages).toEqual([]);
  });

  it('writes no marker when the seed fails half-way, so the next check seeds again from the start', async () => {
    const { ledger } = ledgerOf(1500);
    let batches = 0;
    const flaky = Object.create(store) as MemoryRevocationStore;
    flaky.seedEntries = async (events) => {
      if (++batches === 2) throw new Error('connection lost');
      return store.seedEntries(events);
    };
    const reseeder = new RevocationReseeder(dbWithLock(true), flaky, ledger, metrics);
    await expect(reseeder.check()).rejects.toThrow('connection lost');
    expect(await store.seededGeneration()).toBeUndefined();
    expect((await reseeder.check())?.entries).toBe(1500);
    expect(await store.seededGeneration()).toBeDefined();
    expect(await metric(metrics, 'revocation_reseeds_total')).toBe(1);
  });

  it('writes no marker when Redis loses its data mid-seed (the early batches are gone), and seeds again on the next check', async () => {
    const { ledger } = ledgerOf(2500);
    let batches = 0;
    const wiped = Object.create(store) as MemoryRevocationStore;
    wiped.seedEntries = async (events) => {
      // A FLUSHALL (or a restart empty, a failover) after the first batch: later batches still land.
      if (++batches === 2) store.backend.flush();
      return store.seedEntries(events);
    };
    const reseeder = new RevocationReseeder(dbWithLock(true), wiped, ledger, metrics);
    expect(await reseeder.check()).toBeUndefined();
    expect(await store.seededGeneration()).toBeUndefined();
    expect(await store.isTokenRevoked('j1')).toBe(false); // what the wipe took: no marker may vouch for it
    expect(announced.filter((e) => e.kind === 'resync')).toEqual([]);
    expect(await metric(metrics, 'revocation_reseeds_total')).toBe(0);

    const outcome = await reseeder.check();
    expect(outcome?.entries).toBe(2500);
    expect(await store.isTokenRevoked('j1')).toBe(true);
    expect(await store.seededGeneration()).toBe(outcome!.generation);
    expect(await metric(metrics, 'revocation_reseeds_total')).toBe(1);
  });

  describe('when Redis kept its marker but lost events it had acknowledged', () => {
    /** The memory store, answering verifyDelivered as a Redis whose stream holds `held` and ends at `lastId`. */
    function redisHolding(held: string[], lastId: string): { store: MemoryRevocationStore; asked: string[][] } {
      const asked: string[][] = [];
      const regressed = Object.create(store) as MemoryRevocationStore;
      regressed.verifyDelivered = async (ids) => {
        // The reseeder's one-off empty probe (does the store keep a stream at all?) is not a check.
        if (ids.length > 0) asked.push([...ids]);
        return { missing: ids.filter((id) => !held.includes(id)), lastId };
      };
      return { store: regressed, asked };
    }

    it('re-seeds under a new generation when a recently delivered event is gone from the stream', async () => {
      const old = NOW - 60_000;
      await store.markSeeded(old, await store.beginSeed());
      const { ledger } = ledgerOf(3, [
        { streamId: `${NOW - 2000}-0`, at: NOW - 2000 },
        { streamId: `${NOW - 1000}-0`, at: NOW - 1000 },
      ]);
      const regressed = redisHolding([`${NOW - 2000}-0`], `${NOW - 2000}-0`);
      const outcome = await new RevocationReseeder(dbWithLock(true), regressed.store, ledger, metrics).check();
      expect(outcome?.entries).toBe(3);
      expect(outcome!.generation).toBeGreaterThan(old);
      expect(await store.seededGeneration()).toBe(outcome!.generation);
      expect(regressed.asked).toEqual([[`${NOW - 1000}-0`, `${NOW - 2000}-0`]]);
      expect(await metric(metrics, 'revocation_reseeds_total')).toBe(1);
    });

    it('re-seeds when the stream ends before the newest delivered id (Redis went back in time)', async () => {
      await store.markSeeded(NOW - 60_000, await store.beginSeed());
      const { ledger } = ledgerOf(1, [{ streamId: `${NOW - 1000}-5`, at: NOW - 1000 }]);
      // Held, by id, yet the stream's end is before it: ids regress, which only a lost tail explains.
      const regressed = redisHolding([`${NOW - 1000}-5`], `${NOW - 1000}-4`);
      expect((await new RevocationReseeder(dbWithLock(true), regressed.store, ledger, metrics).check())?.entries).toBe(1);
    });

    describe('on a quiet system (one revocation, then nothing)', () => {
      // Auth's clock is fake: the check's age bound is measured from Date.now().
      beforeEach(() => jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
      afterEach(() => jest.useRealTimers());
      const MINUTE = 60_000;

      it('re-seeds when the only delivered event, 20 minutes old, is gone: Redis restarted from a snapshot older than it', async () => {
        // A logout everywhere at 12:00, nothing since; Redis restarts at 12:15 from an 11:50 RDB that
        // has the marker but not the event. Its token lives until ~13:05, so 20 minutes is in scope.
        const old = NOW - 3 * 60 * MINUTE;
        await store.markSeeded(old, await store.beginSeed());
        const logout = NOW - 20 * MINUTE;
        const { ledger } = ledgerOf(2, [{ streamId: `${logout}-0`, at: logout }]);
        const regressed = redisHolding([], `${old}-0`);
        const outcome = await new RevocationReseeder(dbWithLock(true), regressed.store, ledger, metrics).check();
        expect(regressed.asked).toEqual([[`${logout}-0`]]);
        expect(outcome?.entries).toBe(2);
        expect(outcome!.generation).toBeGreaterThan(old);
      });

      it('still checks a 64-minute-old event (its token may be accepted until 65), but not one past the lifetime + tolerance', async () => {
        await store.markSeeded(NOW - 3 * 60 * MINUTE, await store.beginSeed());
        const inScope = NOW - 64 * MINUTE;
        const expired = NOW - 66 * MINUTE; // every token it revokes is past exp + tolerance: it blocks nothing
        const { ledger } = ledgerOf(1, [
          { streamId: `${inScope}-0`, at: inScope },
          { streamId: `${expired}-0`, at: expired },
        ]);
        const healthy = redisHolding([`${inScope}-0`], `${inScope}-0`);
        expect(await new RevocationReseeder(dbWithLock(true), healthy.store, ledger, metrics).check()).toBeUndefined();
        expect(healthy.asked).toEqual([[`${inScope}-0`]]);
      });
    });

    it('does nothing while the stream holds every recently delivered id, and never looks at rows from before the generation', async () => {
      const generation = NOW - 5000;
      await store.markSeeded(generation, await store.beginSeed());
      const { ledger, pages } = ledgerOf(3, [
        { streamId: `${NOW - 9000}-0`, at: NOW - 9000 }, // before the last seed: its id may be long gone
        { streamId: `${NOW - 1000}-0`, at: NOW - 1000 },
      ]);
      const healthy = redisHolding([`${NOW - 1000}-0`], `${NOW - 500}-0`);
      expect(await new RevocationReseeder(dbWithLock(true), healthy.store, ledger, metrics).check()).toBeUndefined();
      expect(healthy.asked).toEqual([[`${NOW - 1000}-0`]]);
      expect(pages).toEqual([]);
      expect(await store.seededGeneration()).toBe(generation);
    });
  });
});
