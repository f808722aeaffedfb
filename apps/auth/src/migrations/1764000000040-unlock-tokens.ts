import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Unlock tokens: the single-use tokens an unlock message carries (the right password from an
 * address the account does not know, while the account-wide failure cap is spent). Only the
 * SHA-256 of a token is stored; redeeming one makes its address known to the account.
 */
export class UnlockTokens1764000000040 implements MigrationInterface {
  name = 'UnlockTokens1764000000040';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE unlock_tokens (
      token_hash bytea PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      address text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz)`);
    await q.query('CREATE INDEX unlock_tokens_user ON unlock_tokens (user_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE unlock_tokens');
  }
}
