import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalogue orders prices from: the client names a SKU and a quantity, never a price (a
 * client-chosen `unitPrice`, 0 included, was accepted before). Seeded with the demo products the
 * README and the tests order; a real deployment manages this table.
 */
export class Catalogue1765000000001 implements MigrationInterface {
  name = 'Catalogue1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE catalogue_items (
      sku text PRIMARY KEY,
      name text NOT NULL,
      unit_price bigint NOT NULL CHECK (unit_price > 0 AND unit_price <= 1000000000),
      currency char(3) NOT NULL)`);
    await q.query(`INSERT INTO catalogue_items (sku, name, unit_price, currency) VALUES
      ('BOOK-1', 'A paperback book', 1250, 'EUR'),
      ('PEN-7', 'A ballpoint pen', 199, 'EUR'),
      ('A-1', 'A sample item', 100, 'EUR'),
      ('MUG-2', 'A coffee mug', 890, 'EUR')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE catalogue_items`);
  }
}
