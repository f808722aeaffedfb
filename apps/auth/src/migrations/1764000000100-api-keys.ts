import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys (issue 22): long-lived keys of third-party servers, exchanged at the gateway for short
 * access tokens. Only the HMAC of a key is stored, unique: the one indexed lookup of a check.
 */
export class ApiKeys1764000000100 implements MigrationInterface {
  name = 'ApiKeys1764000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        display_prefix text NOT NULL,
        secret_hash bytea NOT NULL UNIQUE,
        owner_type text NOT NULL CHECK (owner_type IN ('user', 'client')),
        owner_id text NOT NULL,
        scopes text[] NOT NULL,
        audiences text[] NOT NULL,
        allowed_cidrs text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        replaced_by uuid REFERENCES api_keys(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX api_keys_owner ON api_keys (owner_type, owner_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_keys');
  }
}
