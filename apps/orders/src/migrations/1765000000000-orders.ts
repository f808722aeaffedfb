import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Orders1765000000000 implements MigrationInterface {
  name = 'Orders1765000000000';

  async up(q: QueryRunner): Promise<void> {
    // Items and the shipping address are a snapshot taken when the order is placed: they never
    // change afterwards, so they live in the order row (jsonb) rather than in joined tables.
    await q.query(`CREATE TABLE orders (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('placed', 'cancelled')),
      currency char(3) NOT NULL,
      items jsonb NOT NULL,
      total bigint NOT NULL CHECK (total >= 0),
      shipping_address jsonb NOT NULL,
      idempotency_key text,
      request_hash text,
      created_at timestamptz NOT NULL,
      cancelled_at timestamptz)`);
    // Idempotency keys are scoped per user: two users may pick the same key.
    await q.query(`CREATE UNIQUE INDEX orders_user_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    // GET /orders: the caller's orders, newest first, keyset-paginated on (created_at, id).
    await q.query(`CREATE INDEX orders_user_created ON orders (user_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE orders`);
  }
}
