import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Principal } from '@authmesh/token-verifier';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { RefreshFamilyEntity, RefreshTokenEntity } from '../tokens/refresh-token.entity.js';
import { SessionNotFoundError, SessionsNeedUserError } from './account-sessions.errors.js';

/** One signed-in device or app of the caller: a live refresh family. */
export interface AccountSession {
  id: string;
  clientId: string;
  createdAt: string;
  /** When the family last issued a token (its first login or its latest refresh). */
  lastUsedAt: string;
  /** The family the presented access token was issued in. */
  current: boolean;
}

const FAMILY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface LiveFamilyRow {
  id: string;
  client_id: string;
  created_at: Date;
  last_used_at: Date;
}

/**
 * The caller's sessions as the account page shows them: each live refresh family is one device or
 * app, and revoking one ends it everywhere at once (the family's access tokens are blocklisted,
 * not left to expire) — the session side of the session-vs-JWT story.
 */
@Injectable()
export class AccountSessionsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly revoker: SessionRevoker,
  ) {}

  /**
   * Live = not revoked, inside its absolute lifetime, and still holding an unused refresh token
   * that has not expired (a family idle past the refresh token's lifetime can never be used again).
   */
  async list(principal: Principal, now = new Date()): Promise<AccountSession[]> {
    const userId = this.userOf(principal);
    const families = this.db.getRepository(RefreshFamilyEntity).metadata.tableName;
    const tokens = this.db.getRepository(RefreshTokenEntity).metadata.tableName;
    const rows = (await this.db.query(
      `SELECT f.id, f.client_id, f.created_at, max(t.issued_at) AS last_used_at
         FROM ${families} f JOIN ${tokens} t ON t.family_id = f.id
        WHERE f.user_id = $1 AND f.revoked_at IS NULL AND f.absolute_expires_at > $2
        GROUP BY f.id, f.client_id, f.created_at
       HAVING bool_or(t.used_at IS NULL AND t.expires_at > $2)
        ORDER BY last_used_at DESC, f.id`,
      [userId, now],
    )) as LiveFamilyRow[];
    const current = await this.currentFamily(principal);
    return rows.map((r) => ({
      id: r.id,
      clientId: r.client_id,
      createdAt: new Date(r.created_at).toISOString(),
      lastUsedAt: new Date(r.last_used_at).toISOString(),
      current: r.id === current,
    }));
  }

  /** Revokes one of the caller's own families; anything else is the same SessionNotFoundError. */
  async revoke(principal: Principal, familyId: string): Promise<void> {
    const userId = this.userOf(principal);
    if (!FAMILY_ID.test(familyId)) throw new SessionNotFoundError();
    const own = await this.db.getRepository(RefreshFamilyEntity).findOne({ where: { id: familyId, userId }, select: { id: true } });
    if (!own) throw new SessionNotFoundError();
    // Idempotent for an own family already revoked: revokeFamiliesInTx only touches live rows.
    await this.revoker.revokeFamily(familyId, 'logout');
  }

  private userOf(principal: Principal): string {
    if (principal.isService) throw new SessionsNeedUserError(principal.clientId);
    return principal.sub;
  }

  private async currentFamily(principal: Principal): Promise<string | undefined> {
    const issuedWith = await this.db
      .getRepository(RefreshTokenEntity)
      .findOne({ where: { accessJti: principal.tokenId }, select: { familyId: true } });
    return issuedWith?.familyId;
  }
}
