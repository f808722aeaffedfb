import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which token each RFC 8693 exchange issued, and from which subject token: revoking a jti revokes
 * the tokens exchanged from it (RevocationOutbox), disabling a client revokes the tokens it exchanged.
 */
export class ExchangedTokens1764000000004 implements MigrationInterface {
  name = 'ExchangedTokens1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE exchanged_tokens (
      jti text PRIMARY KEY,
      subject_jti text NOT NULL,
      client_id text NOT NULL,
      expires_at timestamptz NOT NULL)`);
    // Revoking a jti looks up what was exchanged from it; disabling a client, its unexpired tokens.
    await q.query('CREATE INDEX exchanged_tokens_subject_jti ON exchanged_tokens (subject_jti)');
    await q.query('CREATE INDEX exchanged_tokens_client ON exchanged_tokens (client_id, expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE exchanged_tokens');
  }
}
