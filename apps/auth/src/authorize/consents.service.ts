import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ConsentEntity } from './consent.entity.js';

/** What a user allowed each third-party client: asked again only for a scope not yet allowed. */
@Injectable()
export class Consents {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async covers(userId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
    const row = await this.db.getRepository(ConsentEntity).findOne({ where: { userId, clientId } });
    return row !== null && scopes.every((s) => row.scopes.includes(s));
  }

  /** Adds `scopes` to what the user allowed the client (one row per user and client; concurrent allows both land). */
  async remember(userId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO consents (user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (user_id, client_id) DO UPDATE
       SET scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || EXCLUDED.scopes)), granted_at = now()`,
      [userId, clientId, [...scopes]],
    );
  }
}
