import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      extra_scopes text[] NOT NULL DEFAULT '{}',
      disabled boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE clients (
      client_id text PRIMARY KEY,
      secret_hash text NOT NULL,
      scopes text[] NOT NULL,
      audiences text[] NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE signing_keys (
      kid text PRIMARY KEY,
      state text NOT NULL CHECK (state IN ('pending', 'active', 'retiring', 'retired', 'revoked')),
      alg text NOT NULL DEFAULT 'RS256',
      bits integer NOT NULL,
      public_jwk jsonb NOT NULL,
      private_key_enc bytea,
      created_at timestamptz NOT NULL,
      activates_at timestamptz,
      activated_at timestamptz,
      retiring_at timestamptz,
      retire_after timestamptz,
      retired_at timestamptz,
      revoked_at timestamptz)`);
    // Exactly one key signs at a time.
    await q.query(`CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((state)) WHERE state = 'active'`);
    await q.query(`CREATE TABLE refresh_families (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      client_id text NOT NULL,
      scope text NOT NULL,
      audiences text[] NOT NULL,
      created_at timestamptz NOT NULL,
      absolute_expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason text)`);
    await q.query(`CREATE INDEX refresh_families_user ON refresh_families (user_id)`);
    await q.query(`CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      family_id uuid NOT NULL REFERENCES refresh_families(id) ON DELETE CASCADE,
      token_hash bytea NOT NULL UNIQUE,
      issued_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      access_jti text NOT NULL,
      access_expires_at timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE refresh_tokens');
    await q.query('DROP TABLE refresh_families');
    await q.query('DROP TABLE signing_keys');
    await q.query('DROP TABLE clients');
    await q.query('DROP TABLE users');
  }
}
