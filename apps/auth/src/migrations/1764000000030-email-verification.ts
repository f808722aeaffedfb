import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * E-mail verification: when an account's address was proven, and the single-use tokens that prove
 * it. Accounts that exist before this migration count as verified (they could log in yesterday;
 * AUTH_EMAIL_VERIFICATION=required must not lock them out).
 */
export class EmailVerification1764000000030 implements MigrationInterface {
  name = 'EmailVerification1764000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users ADD COLUMN email_verified_at timestamptz');
    await q.query('UPDATE users SET email_verified_at = created_at');
    await q.query(`CREATE TABLE email_verification_tokens (
      token_hash bytea PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz)`);
    await q.query('CREATE INDEX email_verification_tokens_user ON email_verification_tokens (user_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE email_verification_tokens');
    await q.query('ALTER TABLE users DROP COLUMN email_verified_at');
  }
}
