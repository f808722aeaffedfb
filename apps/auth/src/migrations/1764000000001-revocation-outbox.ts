import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RevocationOutbox1764000000001 implements MigrationInterface {
  name = 'RevocationOutbox1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE revocation_outbox (
      id bigserial PRIMARY KEY,
      event jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0)`);
    await q.query(`CREATE INDEX refresh_tokens_access_jti ON refresh_tokens (access_jti)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX refresh_tokens_access_jti');
    await q.query('DROP TABLE revocation_outbox');
  }
}
