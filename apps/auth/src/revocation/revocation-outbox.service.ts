import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS } from '@authmesh/contracts';
import { type RevocationEvent, type RevocationStore, entryExpiresAtMs } from '@authmesh/revocation';
import type { AuthConfig } from '../config/auth.config.js';
import { REVOCATION_STORE } from './revocation-store.provider.js';
import { Inject } from '@nestjs/common';
import { purgeExpiredLinks, withExchangedTokens } from './exchanged-token-links.js';
import { type DeliveredRow, RevocationLedger } from './revocation-ledger.repository.js';

const REPLAY_INTERVAL_MS = 1000;
const BATCH = 500;
/** Exchanged-token links are purged at most this often, from the replay timer... */
const PURGE_INTERVAL_MS = 60_000;
/** ...once their token expired this long ago (far beyond any verifier's clock tolerance). */
const PURGE_GRACE_MS = 60 * 60_000;

/**
 * The transactional outbox in front of the revocation store. Every revocation is first a row in
 * Postgres (inside the caller's transaction), then delivered to the store right after commit; what
 * could not be delivered (Redis down) is replayed every second until it is. Delivery is idempotent
 * (SET with TTL; a subject keeps the latest timestamp), so several auth instances replaying the
 * same rows do no harm; SKIP LOCKED keeps them from doing the same work at once. A delivered row
 * is marked, not deleted: the table is the revocation ledger the re-seed rebuilds Redis from, and
 * RevocationLedgerPurger deletes a row once its entry has expired.
 */
@Injectable()
export class RevocationOutbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RevocationOutbox');
  private timer?: NodeJS.Timeout;
  private delivering?: Promise<number>;
  private lastPurgeMs = 0;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REVOCATION_STORE) private readonly store: RevocationStore,
    @InjectConfig() private readonly config: AuthConfig,
    private readonly ledger: RevocationLedger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      void this.deliver().catch(() => undefined);
      void this.purgeExpiredLinks().catch(() => undefined);
    }, REPLAY_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Records revocations in the caller's transaction. Every jti revocation (logout, a refresh family,
   * RFC 7009, admin) passes through here, so this is where it is extended to the tokens exchanged
   * from that jti (RFC 8693), transitively: an exchanged token names a new jti, and nothing else
   * would make it die with its subject token.
   */
  async record(tx: EntityManager, events: RevocationEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = new Date();
    // Verifiers accept a token until exp + their clock tolerance (each its own, at most
    // MAX_CLOCK_TOLERANCE_SECONDS): a token that expired within it is still worth blocklisting.
    const acceptedAfter = new Date(now.getTime() - MAX_CLOCK_TOLERANCE_SECONDS * 1000);
    const all = await withExchangedTokens(tx, events, acceptedAfter);
    // The row lives as long as the store entry it (re-)seeds could: the store's own TTL rules.
    const lifetimes = {
      clockToleranceSeconds: MAX_CLOCK_TOLERANCE_SECONDS,
      maxTokenLifetimeSeconds: MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
    };
    await this.ledger.insert(tx, all, now, (event) => entryExpiresAtMs(event, lifetimes));
  }

  /** Records revocations in a transaction of their own, then delivers them. */
  async recordAndDeliver(events: RevocationEvent[]): Promise<void> {
    await this.db.transaction((tx) => this.record(tx, events));
    await this.deliver();
  }

  /** Delivers pending rows; returns how many are still pending. Never throws for a store outage. */
  deliver(): Promise<number> {
    // One delivery at a time per instance; callers share the running one, then run again so
    // rows committed meanwhile are not left for the timer.
    const run = async (): Promise<number> => {
      await this.delivering?.catch(() => undefined);
      // Batch after batch while they come back full and delivered (a disabled client can revoke
      // thousands of exchanged tokens at once); a failed delivery leaves the rest for the timer.
      for (;;) {
        const { fetched, pending } = await this.deliverBatch();
        if (pending > 0 || fetched < BATCH) return pending;
      }
    };
    const p = run();
    this.delivering = p;
    return p;
  }

  /**
   * Deletes the links of exchanged tokens long expired (at most once a minute; every instance may
   * do it, the DELETE is idempotent), so the table holds about one row per live exchanged token.
   */
  async purgeExpiredLinks(now = new Date()): Promise<number> {
    if (now.getTime() - this.lastPurgeMs < PURGE_INTERVAL_MS) return 0;
    this.lastPurgeMs = now.getTime();
    return purgeExpiredLinks(this.db.manager, now, PURGE_GRACE_MS);
  }

  private async deliverBatch(): Promise<{ fetched: number; pending: number }> {
    return this.db.transaction(async (tx) => {
      const rows = await this.ledger.lockPending(tx, BATCH);
      const delivered: DeliveredRow[] = [];
      for (const row of rows) {
        try {
          // The stream id is kept with the row: RevocationReseeder checks Redis still holds it.
          delivered.push({ id: row.id, streamId: await this.store.apply(row.event) });
        } catch (e) {
          await this.ledger.countFailedAttempt(tx, row.id);
          if (row.attempts % 30 === 0)
            this.logger.warn(
              `revocation store unavailable; ${rows.length - delivered.length} revocation(s) kept in the outbox: ${String(e)}`,
            );
          break; // the store is down: keep order, retry the rest on the next tick
        }
      }
      await this.ledger.markDelivered(tx, delivered, new Date());
      return { fetched: rows.length, pending: rows.length - delivered.length };
    });
  }
}
