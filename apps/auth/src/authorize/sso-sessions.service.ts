import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import { UserEntity } from '../accounts/user.entity.js';
import type { AuthConfig } from '../config/auth.config.js';
import { randomToken, sha256 } from '../crypto/secrets.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { SsoSessionEntity } from './sso-session.entity.js';

/** last_seen_at is written at most this often: a busy session must not cost an UPDATE per request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface LiveSsoSession {
  session: SsoSessionEntity;
  user: UserEntity;
}

/**
 * Single sign-on sessions at auth. A login creates a new one with a new random secret (session
 * fixation: a cookie planted before login is never the one after it); the browser's cookie holds
 * the secret, the database only its SHA-256 (a database dump opens no session). A session is dead
 * once ended (logout, "sign out everywhere", password change, disable: SessionRevoker), idle for
 * AUTH_SSO_IDLE_S, AUTH_SSO_MAX_S after login, or when its user is disabled.
 */
@Injectable()
export class SsoSessions {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly revoker: SessionRevoker,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /** A new session for a login just made; returns the secret for the cookie (shown once). */
  async start(userId: string, now = new Date()): Promise<{ session: SsoSessionEntity; secret: string }> {
    const secret = randomToken();
    const session = this.db.getRepository(SsoSessionEntity).create({
      secretHash: sha256(secret),
      userId,
      authTime: now,
      createdAt: now,
      lastSeenAt: now,
      absoluteExpiresAt: new Date(now.getTime() + this.config.auth.ssoAbsoluteSeconds * 1000),
      endedAt: null,
      endedReason: null,
    });
    await this.db.getRepository(SsoSessionEntity).insert(session);
    return { session, secret };
  }

  /** The live session a cookie's secret names, or null; extends the idle timeout (at most one write a minute). */
  async findLive(secret: string | undefined, now = new Date()): Promise<LiveSsoSession | null> {
    const session = await this.find(secret);
    if (!session || !this.isLive(session, now)) return null;
    const user = await this.db.getRepository(UserEntity).findOne({ where: { id: session.userId } });
    if (!user || user.disabled) return null;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.db.getRepository(SsoSessionEntity).update({ id: session.id, endedAt: IsNull() }, { lastSeenAt: now });
      session.lastSeenAt = now;
    }
    return { session, user };
  }

  /** The session a secret names, live or not (logout ends whatever the cookie names). */
  find(secret: string | undefined): Promise<SsoSessionEntity | null> {
    if (secret === undefined) return Promise.resolve(null);
    return this.db.getRepository(SsoSessionEntity).findOne({ where: { secretHash: sha256(secret) } });
  }

  findById(id: string): Promise<SsoSessionEntity | null> {
    return this.db.getRepository(SsoSessionEntity).findOne({ where: { id } });
  }

  isLive(session: SsoSessionEntity, now = new Date()): boolean {
    return (
      session.endedAt === null &&
      session.absoluteExpiresAt > now &&
      session.lastSeenAt.getTime() + this.config.auth.ssoIdleSeconds * 1000 > now.getTime()
    );
  }

  /**
   * A new login replaced this browser's session: the old one ends (its cookie is overwritten), its
   * refresh families live on — they are revoked with the session id they carry (`sid`) by RP logout.
   */
  async replace(session: SsoSessionEntity, now = new Date()): Promise<void> {
    await this.db.getRepository(SsoSessionEntity).update({ id: session.id, endedAt: IsNull() }, { endedAt: now, endedReason: 'replaced' });
  }

  /** Logout: ends the session and revokes every refresh family started from it (their access tokens blocklisted). */
  async end(sessionId: string): Promise<void> {
    await this.revoker.endSsoSession(sessionId, 'logout');
  }
}
