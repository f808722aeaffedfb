import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Histogram } from 'prom-client';
import type { DataSource } from 'typeorm';
import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS } from '@authmesh/contracts';
import { MetricsService } from '@authmesh/platform';
import { type RevocationStore, SeedInterruptedError, compareStreamIds } from '@authmesh/revocation';
import { RevocationLedger } from './revocation-ledger.repository.js';
import { REVOCATION_STORE } from './revocation-store.provider.js';

/** How often auth checks the generation marker: a flush is noticed within about a second. */
const CHECK_INTERVAL_MS = 1000;
/**
 * The loss check looks at the newest delivered rows: at most LOSS_CHECK_ROWS of them, delivered
 * since the current generation and within LOSS_CHECK_MAX_AGE_MS. Redis loses a tail (the newest
 * writes: a lagging replica promoted, AOF `everysec`, a restart from an older snapshot), so the
 * newest rows are the ones to look at: a loss goes unnoticed only if more than LOSS_CHECK_ROWS rows
 * were delivered to the regressed Redis before the next check (1 s).
 *
 * The age bound is the whole window in which a revocation still matters: a token lives at most
 * MAX_ACCESS_TOKEN_LIFETIME_SECONDS and verifiers accept it up to MAX_CLOCK_TOLERANCE_SECONDS
 * after `exp`, so a revocation older than that blocks nothing any more. A shorter bound (it was
 * 10 minutes) misses the quiet case: a logout at 12:00, nothing revoked since, Redis restarted at
 * 12:15 from an 11:50 RDB that still holds the marker — a check looking only at rows since 12:05
 * finds nothing to verify, and a verifier started afterwards accepts the stolen token until 13:05.
 * The stream keeps this window plus STREAM_SKEW_MARGIN_MS (trimmed by Redis's clock), so a row is
 * never "missing" only because it was trimmed while the two clocks agree within that margin.
 */
const LOSS_CHECK_ROWS = 1000;
const LOSS_CHECK_MAX_AGE_MS = (MAX_ACCESS_TOKEN_LIFETIME_SECONDS + MAX_CLOCK_TOLERANCE_SECONDS) * 1000;
/** Ledger rows per SELECT (keyset pagination by id). */
const SEED_BATCH = 1000;
/**
 * The re-seed's advisory lock (two-int form, apart from the keyring's single-bigint lock and the
 * exchange links' (8693, bucket) space).
 */
const RESEED_LOCK: readonly [number, number] = [0x7265_766f, 1]; // 'revo'

/** What one re-seed did (for the log line, the metrics and tests). */
export interface ReseedOutcome {
  entries: number;
  ms: number;
  generation: number;
}

/**
 * Self-healing Redis: the blocklist and its event stream are a cache of auth's revocation ledger
 * (Postgres). The store's generation marker (`revocation:generation`, no TTL, written only after a
 * complete seed) disappears with the data — a FLUSHALL, a restart without persistence, a failover
 * to an empty replica — and is absent on a first start (and always at the start of `npm start`,
 * whose store is in memory). Redis can also keep its marker and lose only its newest writes (a
 * lagging replica promoted, an AOF `everysec` loss, a restart from an older snapshot): every
 * second auth checks that the stream still holds the ids of the newest delivered ledger rows (up
 * to 1,000, delivered since the generation and within a token's lifetime + clock tolerance, i.e.
 * every row whose loss could still let a token through) and ends no earlier than the newest of
 * them (`store.verifyDelivered`).
 *
 * Either way auth claims the marker's key (`beginSeed`), re-writes every live ledger row into the
 * store and its stream (`seedEntries`), then turns its claim into a new marker with a `resync`
 * event: every verifier, seeing a new generation, reads the whole stream and merges it. A claim
 * lost mid-seed (the data wiped again, so early batches may be gone) writes no marker: logged, and
 * seeded again on the next check.
 *
 * A store that cannot be read (Redis down) is an outage, not lost data: nothing is done then
 * (verifiers keep their outage policy; the outbox replays what was revoked meanwhile). Several
 * auth instances take turns through a transaction-scoped advisory lock and re-check the marker
 * under it, so one seeds and the others find the new marker written.
 */
@Injectable()
export class RevocationReseeder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RevocationReseeder');
  private timer?: NodeJS.Timeout;
  private running?: Promise<ReseedOutcome | undefined>;
  private readonly reseeds: Counter;
  private readonly entries: Counter;
  private readonly duration: Histogram;
  /** Whether the store keeps a stream whose ids `lostEvents` can check (unknown until asked once). */
  private storeHasStream: boolean | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REVOCATION_STORE) private readonly store: RevocationStore,
    private readonly ledger: RevocationLedger,
    metrics: MetricsService,
  ) {
    const registers = [metrics.registry];
    this.reseeds = new Counter({ name: 'revocation_reseeds_total', help: 'Re-seeds of the revocation store from the ledger', registers });
    this.entries = new Counter({
      name: 'revocation_reseed_entries_total',
      help: 'Ledger entries written into the revocation store by re-seeds',
      registers,
    });
    this.duration = new Histogram({
      name: 'revocation_reseed_duration_seconds',
      help: 'How long a re-seed of the revocation store took',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
      registers,
    });
  }

  /**
   * The first check runs before auth (and, under `npm start`, every service after it) listens: a
   * fresh in-memory store is seeded before any verifier reads it.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.check().catch((e: unknown) => this.logger.warn(`revocation re-seed deferred: ${String(e)}`));
    this.timer = setInterval(() => {
      void this.check().catch((e: unknown) => this.logger.warn(`revocation re-seed deferred: ${String(e)}`));
    }, CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Re-seeds when the marker is absent or Redis lost delivered events; returns what it did (undefined: nothing to do, or another instance did it). */
  check(): Promise<ReseedOutcome | undefined> {
    // One check at a time per instance: a slow seed is not overtaken by the next tick.
    this.running ??= this.checkOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async checkOnce(): Promise<ReseedOutcome | undefined> {
    let generation: number | undefined;
    let loss: string | undefined;
    try {
      generation = await this.store.seededGeneration();
      if (generation !== undefined) loss = await this.lostEvents(generation);
    } catch {
      return undefined; // the store is unreachable: an outage, not lost data
    }
    if (generation !== undefined && loss === undefined) return undefined;
    // The transaction-scoped lock (pg_try_advisory_xact_lock) rather than a session lock: it is
    // released by COMMIT, ROLLBACK or a dropped connection, so a crashed or timed-out seed never
    // leaves a pooled connection holding it. "try": a second instance does not queue behind the
    // first, it finds the marker on a later tick.
    return this.db.transaction(async (tx) => {
      const [{ locked }] = (await tx.query('SELECT pg_try_advisory_xact_lock($1, $2) AS locked', [...RESEED_LOCK])) as [
        { locked: boolean },
      ];
      if (!locked) return undefined;
      // Another instance may have completed a seed between our read and the lock (a new marker).
      if ((await this.store.seededGeneration()) !== generation) return undefined;
      if (loss !== undefined) this.logger.warn(`Redis lost revocation events it had acknowledged (${loss}): re-seeding it from the ledger`);
      const started = Date.now();
      const now = new Date(started);
      // Claims the marker's key first: a Redis wiped while the batches are written loses the claim
      // with the data, and markSeeded then refuses to vouch for what is left.
      const token = await this.store.beginSeed();
      let entries = 0;
      let after = '0';
      for (;;) {
        const rows = await this.ledger.liveAfter(tx, after, now, SEED_BATCH);
        // Each entry goes into the stream too (batched scripts): the final `resync`'s new generation
        // makes every mirror read the whole stream, which then holds the whole ledger.
        await this.store.seedEntries(rows.map((row) => row.event));
        entries += rows.length;
        if (rows.length < SEED_BATCH) break;
        after = rows[rows.length - 1]!.id;
      }
      // Only now: a seed that failed half-way leaves no marker and is redone from the start.
      const seeded = Date.now();
      try {
        await this.store.markSeeded(seeded, token);
      } catch (e) {
        if (!(e instanceof SeedInterruptedError)) throw e;
        this.logger.warn(`revocation re-seed interrupted, seeding again on the next check: ${e.detail}`);
        return undefined;
      }
      const ms = seeded - started;
      this.reseeds.inc();
      this.entries.inc(entries);
      this.duration.observe(ms / 1000);
      this.logger.log(`revocation store re-seeded from the ledger: ${entries} entries in ${ms} ms (generation ${seeded})`);
      return { entries, ms, generation: seeded };
    });
  }

  /**
   * Why Redis no longer holds what it acknowledged, or undefined when it does: ids of the newest
   * rows delivered since this generation (an older row's id may be gone with a data loss the seed
   * already repaired) missing from the stream, or the stream ending before the newest of them.
   */
  private async lostEvents(generation: number): Promise<string | undefined> {
    // A store without a stream (the in-memory stand-in of npm start: one process, nothing to
    // regress to) can lose nothing it acknowledged: learn that once, and spare the embedded
    // database a query every second.
    this.storeHasStream ??= (await this.store.verifyDelivered([])).lastId !== undefined;
    if (!this.storeHasStream) return undefined;
    const since = new Date(Math.max(Date.now() - LOSS_CHECK_MAX_AGE_MS, generation));
    const ids = await this.ledger.recentStreamIds(since, LOSS_CHECK_ROWS);
    if (ids.length === 0) return undefined;
    const { missing, lastId } = await this.store.verifyDelivered(ids);
    if (lastId === undefined) return undefined; // a store without a stream (memory)
    if (missing.length > 0)
      return `${missing.length} of the ${ids.length} newest delivered events are gone from the stream, e.g. ${missing[0]}`;
    const newest = ids.reduce((a, b) => (compareStreamIds(a, b) >= 0 ? a : b));
    if (compareStreamIds(lastId, newest) < 0) return `the stream ends at ${lastId}, before ${newest}`;
    return undefined;
  }
}
