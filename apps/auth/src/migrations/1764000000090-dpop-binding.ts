import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DPoP (RFC 9449):
 * - a client may be registered to require DPoP at the token endpoint (`dpop_bound_access_tokens`,
 *   the §5.2 client metadata name);
 * - an authorization code may be bound to a key (§10 `dpop_jkt`): only a proof of that key redeems it;
 * - a refresh family of a public client started (or first refreshed) with DPoP is bound to its
 *   key (§5): its refresh token is of no use without the private key.
 * A jkt is the RFC 7638 SHA-256 thumbprint, 43 base64url characters.
 */
export class DpopBinding1764000000090 implements MigrationInterface {
  name = 'DpopBinding1764000000090';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false');
    await q.query(`ALTER TABLE authorization_codes ADD COLUMN dpop_jkt text CHECK (dpop_jkt ~ '^[A-Za-z0-9_-]{43}$')`);
    await q.query(`ALTER TABLE refresh_families ADD COLUMN dpop_jkt text CHECK (dpop_jkt ~ '^[A-Za-z0-9_-]{43}$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE refresh_families DROP COLUMN dpop_jkt');
    await q.query('ALTER TABLE authorization_codes DROP COLUMN dpop_jkt');
    await q.query('ALTER TABLE clients DROP COLUMN dpop_bound_access_tokens');
  }
}
