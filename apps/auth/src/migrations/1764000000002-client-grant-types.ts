import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Clients say which grants they may use: token exchange (RFC 8693) is only for the gateway. */
export class ClientGrantTypes1764000000002 implements MigrationInterface {
  name = 'ClientGrantTypes1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN grant_types text[] NOT NULL DEFAULT '{client_credentials}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE clients DROP COLUMN grant_types');
  }
}
