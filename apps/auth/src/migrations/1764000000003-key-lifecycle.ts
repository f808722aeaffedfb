import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit trail of key transitions (issue 7), and the indexes the lifecycle timer reads by. */
export class KeyLifecycle1764000000003 implements MigrationInterface {
  name = 'KeyLifecycle1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE signing_key_events (
      id bigserial PRIMARY KEY,
      kid text NOT NULL,
      from_state text,
      to_state text NOT NULL,
      actor text NOT NULL,
      reason text NOT NULL,
      at timestamptz NOT NULL DEFAULT now())`);
    await q.query('CREATE INDEX signing_key_events_kid ON signing_key_events (kid, at)');
    // At most one pending key: a second planned rotation while one is pending is refused.
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_pending ON signing_keys ((state)) WHERE state = 'pending'`);
    // Keys created before the audit trail get a creation event, so every key has a history.
    await q.query(`INSERT INTO signing_key_events (kid, from_state, to_state, actor, reason, at)
      SELECT kid, NULL, state, 'migration', 'key existed before the audit trail', created_at FROM signing_keys`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX signing_keys_one_pending');
    await q.query('DROP TABLE signing_key_events');
  }
}
