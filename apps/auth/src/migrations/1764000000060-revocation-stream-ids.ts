import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each delivered ledger row remembers the id Redis gave its event in the revocation stream, so
 * auth can check that Redis still holds what it acknowledged: a promoted lagging replica, an AOF
 * `everysec` loss or a restart from an older snapshot keeps the generation marker but loses the
 * newest events, and only a re-seed (a new generation, read in full by every verifier) puts them
 * back. NULL for rows delivered before this column, to the memory store, or still pending.
 */
export class RevocationStreamIds1764000000060 implements MigrationInterface {
  name = 'RevocationStreamIds1764000000060';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE revocation_outbox ADD COLUMN stream_id text');
    // The reseeder's check reads the newest delivered rows, once a second.
    await q.query('CREATE INDEX revocation_outbox_delivered_stream ON revocation_outbox (delivered_at DESC) WHERE stream_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX revocation_outbox_delivered_stream');
    await q.query('ALTER TABLE revocation_outbox DROP COLUMN stream_id');
  }
}
