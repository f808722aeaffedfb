import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `private_key_jwt` clients (RFC 7523 §2.2): a registered public JWKS instead of a secret. The
 * CHECK keeps the two methods apart in the data itself: a key-based client never has a secret
 * hash (nothing to leak or guess), a secret client never has keys.
 */
export class ClientJwks1764000000070 implements MigrationInterface {
  name = 'ClientJwks1764000000070';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN token_endpoint_auth_method text NOT NULL DEFAULT 'client_secret_basic'`);
    await q.query('ALTER TABLE clients ADD COLUMN jwks jsonb');
    await q.query('ALTER TABLE clients ALTER COLUMN secret_hash DROP NOT NULL');
    await q.query(
      `ALTER TABLE clients ADD CONSTRAINT clients_auth_method_credentials CHECK (
         (token_endpoint_auth_method = 'client_secret_basic' AND secret_hash IS NOT NULL AND jwks IS NULL)
         OR (token_endpoint_auth_method = 'private_key_jwt' AND secret_hash IS NULL AND jwks IS NOT NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM clients WHERE token_endpoint_auth_method = 'private_key_jwt'`);
    await q.query('ALTER TABLE clients DROP CONSTRAINT clients_auth_method_credentials');
    await q.query('ALTER TABLE clients ALTER COLUMN secret_hash SET NOT NULL');
    await q.query('ALTER TABLE clients DROP COLUMN jwks');
    await q.query('ALTER TABLE clients DROP COLUMN token_endpoint_auth_method');
  }
}
