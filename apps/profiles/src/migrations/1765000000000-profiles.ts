import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Profiles1765000000000 implements MigrationInterface {
  name = 'Profiles1765000000000';

  async up(q: QueryRunner): Promise<void> {
    // user_id is the token's `sub` (auth's user id); text, so this service assumes nothing about its form.
    await q.query(`CREATE TABLE profiles (
      user_id text PRIMARY KEY,
      display_name text,
      shipping_address jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE profiles`);
  }
}
