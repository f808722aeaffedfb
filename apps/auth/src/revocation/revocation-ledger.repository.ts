import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { RevocationEvent } from '@authmesh/revocation';
import { RevocationOutboxEntity } from './revocation-outbox.entity.js';

/** A ledger row as delivery and the re-seed see it. */
export interface LedgerRow {
  id: string;
  event: RevocationEvent;
  attempts: number;
}

/** A row the store accepted, with the stream id its event got (undefined: nothing written, or no stream). */
export interface DeliveredRow {
  id: string;
  streamId: string | undefined;
}

/** What the purge job needs of the ledger (the seam its unit spec fakes in memory). */
export interface ExpiringLedger {
  /** Deletes at most `limit` rows whose entry expired before `now`; returns how many. */
  purgeExpired(now: Date, limit: number): Promise<number>;
}

/** Rows per INSERT: Postgres allows 65535 bind parameters per statement (a disabled client may revoke thousands of tokens). */
const INSERT_CHUNK = 1000;

/**
 * Whether the ledger holds a revocation of `jti` (pending or delivered), in `tx`: the exchange
 * grant's "is the subject token revoked?" (a free function: it runs in the linking transaction).
 */
export async function ledgerHasJti(tx: EntityManager, jti: string): Promise<boolean> {
  const rows = (await tx.query(`SELECT 1 FROM revocation_outbox WHERE event->>'kind' = 'jti' AND event->>'jti' = $1 LIMIT 1`, [
    jti,
  ])) as unknown[];
  return rows.length > 0;
}

/**
 * Every statement on `revocation_outbox`, the revocation ledger: what the outbox records and
 * delivers, what the re-seed streams, what the purge deletes. One class so the ledger's life
 * (pending → delivered → expired → gone) reads in one place.
 */
@Injectable()
export class RevocationLedger implements ExpiringLedger {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Inserts `events` in the caller's transaction, each with its entry's expiry (`expiresAt(event)`; undefined: an announcement). */
  async insert(
    tx: EntityManager,
    events: RevocationEvent[],
    now: Date,
    expiresAt: (e: RevocationEvent) => number | undefined,
  ): Promise<void> {
    for (let i = 0; i < events.length; i += INSERT_CHUNK) {
      await tx.insert(
        RevocationOutboxEntity,
        events.slice(i, i + INSERT_CHUNK).map((event) => {
          const ms = expiresAt(event);
          return { event, createdAt: now, attempts: 0, deliveredAt: null, expiresAt: ms === undefined ? null : new Date(ms) };
        }),
      );
    }
  }

  /** The oldest pending rows, locked for this transaction; rows another instance is delivering are skipped. */
  async lockPending(tx: EntityManager, limit: number): Promise<LedgerRow[]> {
    const rows = (await tx.query(
      `SELECT id, event, attempts FROM revocation_outbox WHERE delivered_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    )) as { id: string; event: RevocationEvent; attempts: number }[];
    return rows.map((r) => ({ id: String(r.id), event: r.event, attempts: Number(r.attempts) }));
  }

  /** Marks rows delivered with their stream ids; announcements have no ledger life and are deleted. */
  async markDelivered(tx: EntityManager, rows: readonly DeliveredRow[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.id);
    await tx.query('DELETE FROM revocation_outbox WHERE id = ANY($1::bigint[]) AND expires_at IS NULL', [ids]);
    await tx.query(
      `UPDATE revocation_outbox o SET delivered_at = $3, stream_id = d.stream_id
         FROM unnest($1::bigint[], $2::text[]) AS d(id, stream_id) WHERE o.id = d.id`,
      [ids, rows.map((r) => r.streamId ?? null), now],
    );
  }

  /**
   * The stream ids of the newest rows delivered after `since` (at most `limit`): what Redis
   * acknowledged most recently, for the reseeder's check that it still holds it.
   */
  async recentStreamIds(since: Date, limit: number): Promise<string[]> {
    const rows = (await this.db.query(
      `SELECT stream_id FROM revocation_outbox WHERE stream_id IS NOT NULL AND delivered_at > $1 ORDER BY delivered_at DESC LIMIT $2`,
      [since, limit],
    )) as { stream_id: string }[];
    return rows.map((r) => r.stream_id);
  }

  async countFailedAttempt(tx: EntityManager, id: string): Promise<void> {
    await tx.increment(RevocationOutboxEntity, { id }, 'attempts', 1);
  }

  /**
   * Live rows (entry not expired at `now`, delivered or not) after `afterId`, in id order: keyset
   * pagination, so each batch is one index range scan however large the ledger is.
   */
  async liveAfter(tx: EntityManager, afterId: string, now: Date, limit: number): Promise<LedgerRow[]> {
    const rows = (await tx.query(
      'SELECT id, event, attempts FROM revocation_outbox WHERE id > $1 AND expires_at > $2 ORDER BY id LIMIT $3',
      [afterId, now, limit],
    )) as { id: string; event: RevocationEvent; attempts: number }[];
    return rows.map((r) => ({ id: String(r.id), event: r.event, attempts: Number(r.attempts) }));
  }

  /**
   * Deletes at most `limit` rows whose entry has expired (pending ones too: delivering them would
   * write nothing). SKIP LOCKED: rows being delivered right now are left for the next tick, and
   * instances purging at once take disjoint rows; a row deleted twice is simply not found.
   */
  async purgeExpired(now: Date, limit: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, affected] = (await this.db.query(
      `DELETE FROM revocation_outbox WHERE id IN (
         SELECT id FROM revocation_outbox WHERE expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [now, limit],
    )) as [unknown, number];
    return affected;
  }
}
