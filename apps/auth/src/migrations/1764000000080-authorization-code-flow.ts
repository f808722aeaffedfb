import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The authorization code flow (RFC 6749 §4.1 with PKCE, OpenID Connect):
 * - clients register exact redirect URIs (RFC 9700 §4.1.3: no patterns), post-logout redirect
 *   URIs, and whether they are first-party (no consent page). A public client (a browser or
 *   mobile app) has `token_endpoint_auth_method = 'none'`: no secret, no keys (RFC 7591 §2).
 * - authorization codes, stored as the SHA-256 of the code, single use; `family_id` records
 *   what a redemption issued so a second redemption can revoke it (RFC 6749 §4.1.2).
 * - SSO sessions at auth (the browser's cookie, stored hashed) and remembered consents.
 * - a refresh family remembers the SSO session it came from, so ending that session
 *   (RP-initiated logout) revokes the family too.
 */
export class AuthorizationCodeFlow1764000000080 implements MigrationInterface {
  name = 'AuthorizationCodeFlow1764000000080';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN redirect_uris text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE clients ADD COLUMN post_logout_redirect_uris text[] NOT NULL DEFAULT '{}'`);
    await q.query('ALTER TABLE clients ADD COLUMN first_party boolean NOT NULL DEFAULT false');
    await q.query('ALTER TABLE clients DROP CONSTRAINT clients_auth_method_credentials');
    await q.query(
      `ALTER TABLE clients ADD CONSTRAINT clients_auth_method_credentials CHECK (
         (token_endpoint_auth_method = 'client_secret_basic' AND secret_hash IS NOT NULL AND jwks IS NULL)
         OR (token_endpoint_auth_method = 'private_key_jwt' AND secret_hash IS NULL AND jwks IS NOT NULL)
         OR (token_endpoint_auth_method = 'none' AND secret_hash IS NULL AND jwks IS NULL))`,
    );
    await q.query(`
      CREATE TABLE sso_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        secret_hash bytea NOT NULL UNIQUE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        auth_time timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        ended_reason text
      )`);
    await q.query('CREATE INDEX sso_sessions_user ON sso_sessions (user_id) WHERE ended_at IS NULL');
    await q.query(`
      CREATE TABLE authorization_codes (
        code_hash bytea PRIMARY KEY,
        client_id text NOT NULL,
        redirect_uri text NOT NULL,
        code_challenge text NOT NULL,
        user_id uuid NOT NULL,
        scope text NOT NULL,
        audiences text[] NOT NULL,
        nonce text,
        auth_time timestamptz NOT NULL,
        sso_session_id uuid,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        family_id uuid
      )`);
    await q.query('CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at)');
    await q.query(`
      CREATE TABLE consents (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id text NOT NULL,
        scopes text[] NOT NULL,
        granted_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, client_id)
      )`);
    await q.query('ALTER TABLE refresh_families ADD COLUMN sso_session_id uuid');
    await q.query('CREATE INDEX refresh_families_sso_session ON refresh_families (sso_session_id) WHERE sso_session_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX refresh_families_sso_session');
    await q.query('ALTER TABLE refresh_families DROP COLUMN sso_session_id');
    await q.query('DROP TABLE consents');
    await q.query('DROP TABLE authorization_codes');
    await q.query('DROP TABLE sso_sessions');
    await q.query(`DELETE FROM clients WHERE token_endpoint_auth_method = 'none'`);
    await q.query('ALTER TABLE clients DROP CONSTRAINT clients_auth_method_credentials');
    await q.query(
      `ALTER TABLE clients ADD CONSTRAINT clients_auth_method_credentials CHECK (
         (token_endpoint_auth_method = 'client_secret_basic' AND secret_hash IS NOT NULL AND jwks IS NULL)
         OR (token_endpoint_auth_method = 'private_key_jwt' AND secret_hash IS NULL AND jwks IS NOT NULL))`,
    );
    await q.query('ALTER TABLE clients DROP COLUMN first_party');
    await q.query('ALTER TABLE clients DROP COLUMN post_logout_redirect_uris');
    await q.query('ALTER TABLE clients DROP COLUMN redirect_uris');
  }
}
