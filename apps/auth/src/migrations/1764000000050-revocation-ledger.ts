import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The revocation outbox becomes the revocation ledger: a row is marked delivered instead of being
 * deleted, and lives until `expires_at` (when the blocklist entry it re-seeds would have expired),
 * so a Redis that lost its data can be re-seeded from Postgres. Announcements (`keyset`) have no
 * ledger life: `expires_at` stays NULL and they are still deleted once delivered.
 */
export class RevocationLedger1764000000050 implements MigrationInterface {
  name = 'RevocationLedger1764000000050';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE revocation_outbox ADD COLUMN delivered_at timestamptz');
    await q.query('ALTER TABLE revocation_outbox ADD COLUMN expires_at timestamptz');
    // Rows still here are undelivered ones (delivered rows used to be deleted). The migration does
    // not know the clock tolerance or the longest token lifetime: a day past the event's own time
    // is beyond both caps (300 s, 3600 s); the purge removes them a little later than it must.
    await q.query(`UPDATE revocation_outbox SET expires_at = to_timestamp(
        (COALESCE(event->>'expiresAtMs', event->>'revokedAtMs'))::double precision / 1000) + interval '1 day'
      WHERE event->>'kind' IN ('jti', 'sub', 'kid')`);
    // Delivery scans only what is pending; the re-seed walks live rows by id; the purge by expiry.
    await q.query('CREATE INDEX revocation_outbox_pending ON revocation_outbox (id) WHERE delivered_at IS NULL');
    await q.query('CREATE INDEX revocation_outbox_expires_at ON revocation_outbox (expires_at) WHERE expires_at IS NOT NULL');
    // An exchange asks "is this subject jti revoked?" of the whole ledger now, not of a few pending rows.
    await q.query(`CREATE INDEX revocation_outbox_jti ON revocation_outbox ((event->>'jti')) WHERE event->>'kind' = 'jti'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX revocation_outbox_jti');
    await q.query('DROP INDEX revocation_outbox_expires_at');
    await q.query('DROP INDEX revocation_outbox_pending');
    // The old outbox held only undelivered rows.
    await q.query('DELETE FROM revocation_outbox WHERE delivered_at IS NOT NULL');
    await q.query('ALTER TABLE revocation_outbox DROP COLUMN expires_at');
    await q.query('ALTER TABLE revocation_outbox DROP COLUMN delivered_at');
  }
}
