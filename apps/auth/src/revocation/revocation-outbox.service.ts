import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type RevocationEvent, type RevocationStore } from '@authmesh/revocation';
import { REVOCATION_STORE } from './revocation-store.provider.js';
import { Inject } from '@nestjs/common';
import { RevocationOutboxEntity } from './revocation-outbox.entity.js';

const REPLAY_INTERVAL_MS = 1000;
const BATCH = 500;

/**
 * The transactional outbox in front of the revocation store. Every revocation is first a row in
 * Postgres (inside the caller's transaction), then delivered to the store right after commit; what
 * could not be delivered (Redis down) is replayed every second until it is. Delivery is idempotent
 * (SET with TTL; a subject keeps the latest timestamp), so several auth instances replaying the
 * same rows do no harm; SKIP LOCKED keeps them from doing the same work at once.
 */
@Injectable()
export class RevocationOutbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RevocationOutbox');
  private timer?: NodeJS.Timeout;
  private delivering?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REVOCATION_STORE) private readonly store: RevocationStore,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.deliver().catch(() => undefined), REPLAY_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Records revocations in the caller's transaction. */
  async record(tx: EntityManager, events: RevocationEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = new Date();
    await tx.insert(
      RevocationOutboxEntity,
      events.map((event) => ({ event, createdAt: now, attempts: 0 })),
    );
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
      return this.deliverBatch();
    };
    const p = run();
    this.delivering = p;
    return p;
  }

  private async deliverBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .getRepository(RevocationOutboxEntity)
        .createQueryBuilder('o')
        .orderBy('o.id')
        .limit(BATCH)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const delivered: string[] = [];
      for (const row of rows) {
        try {
          await this.store.apply(row.event);
          delivered.push(row.id);
        } catch (e) {
          await tx.increment(RevocationOutboxEntity, { id: row.id }, 'attempts', 1);
          if (row.attempts % 30 === 0)
            this.logger.warn(
              `revocation store unavailable; ${rows.length - delivered.length} revocation(s) kept in the outbox: ${String(e)}`,
            );
          break; // the store is down: keep order, retry the rest on the next tick
        }
      }
      if (delivered.length) await tx.delete(RevocationOutboxEntity, delivered);
      return rows.length - delivered.length;
    });
  }
}
