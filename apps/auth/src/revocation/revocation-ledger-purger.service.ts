import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type ExpiringLedger, RevocationLedger } from './revocation-ledger.repository.js';

/** How the purge is bounded: rows per DELETE, rows per tick, ticks' spacing. */
export interface LedgerPurgeLimits {
  readonly batchSize: number;
  readonly maxRowsPerTick: number;
  readonly intervalMs: number;
}

/**
 * 1000 rows per statement keeps each DELETE short (row locks, WAL); 10 000 per 5 s tick purges
 * 2 000 rows/s, far above the revocation rate of any realistic deployment, so the ledger holds
 * about one row per live revocation; a backlog (auth was down for a day) drains over a few ticks
 * instead of in one long statement.
 */
export const LEDGER_PURGE_LIMITS: LedgerPurgeLimits = { batchSize: 1000, maxRowsPerTick: 10_000, intervalMs: 5000 };

/** Optional provider overriding the limits and the clock (unit specs; nothing in the app provides it). */
export const LEDGER_PURGE_OPTIONS = Symbol('LEDGER_PURGE_OPTIONS');
export interface LedgerPurgeOptions {
  readonly limits?: LedgerPurgeLimits;
  /** ms since the epoch */
  readonly now?: () => number;
}

/**
 * Deletes ledger rows whose blocklist entry has expired, in bounded batches. Every auth instance
 * runs it: the DELETE is idempotent and skips rows another instance holds.
 */
@Injectable()
export class RevocationLedgerPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RevocationLedgerPurger');
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly limits: LedgerPurgeLimits;
  private readonly clock: () => number;

  constructor(
    @Inject(RevocationLedger) private readonly ledger: ExpiringLedger,
    @Optional() @Inject(LEDGER_PURGE_OPTIONS) options?: LedgerPurgeOptions,
  ) {
    this.limits = options?.limits ?? LEDGER_PURGE_LIMITS;
    this.clock = options?.now ?? Date.now;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      void this.tick().catch((e: unknown) => this.logger.warn(`ledger purge deferred: ${String(e)}`));
    }, this.limits.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One tick: at most `maxRowsPerTick` rows, batch after batch while they come back full. Returns how many. */
  async tick(): Promise<number> {
    if (this.running) return 0; // a slow tick (a huge backlog) is not overtaken by the next
    this.running = true;
    try {
      const now = new Date(this.clock());
      let purged = 0;
      while (purged < this.limits.maxRowsPerTick) {
        const limit = Math.min(this.limits.batchSize, this.limits.maxRowsPerTick - purged);
        const n = await this.ledger.purgeExpired(now, limit);
        purged += n;
        if (n < limit) break;
      }
      return purged;
    } finally {
      this.running = false;
    }
  }
}
