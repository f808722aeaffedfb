import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, In, IsNull, MoreThan } from 'typeorm';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '@authmesh/contracts';
import { InjectConfig } from '@authmesh/platform';
import type { RevocationEvent } from '@authmesh/revocation';
import type { AuthConfig } from '../config/auth.config.js';
import { sha256 } from '../crypto/secrets.js';
import { SsoSessionEntity } from '../authorize/sso-session.entity.js';
import { RefreshFamilyEntity, RefreshTokenEntity } from '../tokens/refresh-token.entity.js';
import { type ExchangedTokenLink, type LinkOutcome, exchangedByClient, linkExchangedToken } from './exchanged-token-links.js';
import { RevocationOutbox } from './revocation-outbox.service.js';

export type RevocationReason =
  'logout' | 'logout_all' | 'reuse_detected' | 'revoked_by_client' | 'password_changed' | 'account_disabled' | 'client_disabled' | 'admin';

/** Longer than any request can take (requests time out at 30 s). */
const IN_FLIGHT_MARGIN_MS = 60_000;
const DISABLING_REASONS: ReadonlySet<RevocationReason> = new Set(['account_disabled', 'client_disabled']);

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const jtiEvent = (jti: string, expiresAt: Date): RevocationEvent => ({ kind: 'jti', jti, expiresAtMs: expiresAt.getTime() });

/**
 * Every way a session ends: the refresh-family change and the blocklist entries it implies are
 * written in one transaction (the outbox), then delivered to the revocation store. Every jti
 * revocation here goes through `RevocationOutbox.record` inside that transaction, which extends it
 * to the tokens exchanged from the jti (RFC 8693).
 */
@Injectable()
export class SessionRevoker {
  private readonly logger = new Logger('SessionRevoker');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: RevocationOutbox,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /**
   * Links a token the exchange grant just issued to its subject token (and its client), so that
   * revoking either revokes it too. Its own transaction, committed before the token is handed out.
   */
  async linkExchangedToken(link: ExchangedTokenLink): Promise<LinkOutcome> {
    return this.db.transaction((tx) => linkExchangedToken(tx, link));
  }

  /**
   * Blocklists every token `clientId` obtained by token exchange that verifiers may still accept
   * (and, through the outbox, what was exchanged from those). For disabling a client: its exchanged
   * tokens carry the user's `sub`, so the subject-wide revocation of the client id misses them.
   * Call it after the change that disables the client, in the same transaction: the row lock that
   * change holds makes a concurrent exchange by the client either seen here or refused.
   */
  async revokeExchangedByClientInTx(tx: EntityManager, clientId: string): Promise<number> {
    const acceptedAfter = new Date(Date.now() - MAX_CLOCK_TOLERANCE_SECONDS * 1000);
    const events = await exchangedByClient(tx, clientId, acceptedAfter);
    await this.outbox.record(tx, events);
    if (events.length) this.logger.log(`revoked ${events.length} token(s) exchanged by client ${clientId}`);
    return events.length;
  }

  /** Revokes families and blocklists the access tokens they issued that are still alive. */
  async revokeFamiliesInTx(tx: EntityManager, familyIds: string[], reason: RevocationReason, now = new Date()): Promise<void> {
    if (familyIds.length === 0) return;
    await tx.update(RefreshFamilyEntity, { id: In(familyIds), revokedAt: IsNull() }, { revokedAt: now, revokedReason: reason });
    const live = await tx.find(RefreshTokenEntity, {
      // Past exp but within a verifier's tolerance is still accepted somewhere: blocklist it too.
      where: { familyId: In(familyIds), accessExpiresAt: MoreThan(new Date(now.getTime() - MAX_CLOCK_TOLERANCE_SECONDS * 1000)) },
      select: { accessJti: true, accessExpiresAt: true },
    });
    await this.outbox.record(
      tx,
      live.map((t) => jtiEvent(t.accessJti, t.accessExpiresAt)),
    );
  }

  /** Blocklists one access token (admin, RFC 7009); one past exp is still accepted within a verifier's tolerance. */
  async revokeAccessToken(jti: string, expiresAt: Date): Promise<void> {
    if (expiresAt.getTime() + MAX_CLOCK_TOLERANCE_SECONDS * 1000 <= Date.now()) return;
    await this.outbox.recordAndDeliver([jtiEvent(jti, expiresAt)]);
  }

  /** The family a refresh token belongs to, if the token is known. */
  async familyOfRefreshToken(refreshToken: string): Promise<RefreshFamilyEntity | null> {
    const token = await this.db.getRepository(RefreshTokenEntity).findOne({ where: { tokenHash: sha256(refreshToken) } });
    return token ? this.db.getRepository(RefreshFamilyEntity).findOne({ where: { id: token.familyId } }) : null;
  }

  async revokeFamily(familyId: string, reason: RevocationReason): Promise<void> {
    await this.db.transaction((tx) => this.revokeFamiliesInTx(tx, [familyId], reason));
    await this.outbox.deliver();
  }

  /**
   * Logout: the caller's current access token, the family it came from, and the family of a
   * refresh token the caller names (only if it is the caller's own).
   */
  async logout(sub: string, accessJti: string, accessExpiresAt: Date, refreshToken?: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const families = new Set<string>();
      const issuedWith = await tx.findOne(RefreshTokenEntity, { where: { accessJti }, select: { familyId: true } });
      if (issuedWith) families.add(issuedWith.familyId);
      if (refreshToken) {
        const token = await tx.findOne(RefreshTokenEntity, { where: { tokenHash: sha256(refreshToken) }, select: { familyId: true } });
        if (token) families.add(token.familyId);
      }
      const own = families.size
        ? await tx.find(RefreshFamilyEntity, { where: { id: In([...families]), userId: sub }, select: { id: true } })
        : [];
      await this.revokeFamiliesInTx(
        tx,
        own.map((f) => f.id),
        'logout',
      );
      await this.outbox.record(tx, [jtiEvent(accessJti, accessExpiresAt)]);
    });
    await this.outbox.deliver();
  }

  /**
   * Ends an SSO session (RP-initiated logout) and revokes every refresh family started from it,
   * their live access tokens blocklisted, in one transaction. Families are revoked even when the
   * session had already ended (replaced by a newer login): its `sid` still names them.
   */
  async endSsoSession(ssoSessionId: string, reason: RevocationReason, now = new Date()): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.update(SsoSessionEntity, { id: ssoSessionId, endedAt: IsNull() }, { endedAt: now, endedReason: reason });
      const families = await tx.find(RefreshFamilyEntity, { where: { ssoSessionId, revokedAt: IsNull() }, select: { id: true } });
      await this.revokeFamiliesInTx(
        tx,
        families.map((f) => f.id),
        reason,
        now,
      );
    });
    await this.outbox.deliver();
  }

  /**
   * Every session of a subject: a subject-wide revocation (tokens issued at or before now), every
   * refresh family and every SSO session at auth (a browser still signed in there would otherwise
   * get new codes without the password). Used by logout-all, password change and account disable.
   */
  async revokeSubject(sub: string, reason: RevocationReason, tx?: EntityManager): Promise<void> {
    const work = async (m: EntityManager): Promise<void> => {
      const now = new Date();
      // Users have uuid subjects and refresh families; a service client's sub is its client_id and
      // has none (querying the uuid column with it would fail the whole revocation).
      const families = USER_ID.test(sub)
        ? await m.find(RefreshFamilyEntity, { where: { userId: sub, revokedAt: IsNull() }, select: { id: true } })
        : [];
      if (families.length)
        await m.update(RefreshFamilyEntity, { userId: sub, revokedAt: IsNull() }, { revokedAt: now, revokedReason: reason });
      if (USER_ID.test(sub)) await m.update(SsoSessionEntity, { userId: sub, endedAt: IsNull() }, { endedAt: now, endedReason: reason });
      // A disabled account or client gets no new token, but a request already past the "enabled"
      // check (inside argon2) when the disable commits could still be issued one a second later.
      // Revoking up to a margin ahead refuses those too (no legitimate token is issued meanwhile).
      const revokedAtMs = DISABLING_REASONS.has(reason) ? now.getTime() + IN_FLIGHT_MARGIN_MS : now.getTime();
      await this.outbox.record(m, [{ kind: 'sub', sub, revokedAtMs }]);
      this.logger.log(`revoked every session of ${sub} (${reason}; ${families.length} refresh families)`);
    };
    if (tx) await work(tx);
    else await this.db.transaction(work);
    if (!tx) await this.outbox.deliver();
  }

  /**
   * Runs `change` (a password change, an account disable) and the subject-wide revocation in ONE
   * transaction: a new password never commits while the old sessions stay valid.
   */
  async changeAndRevokeSubject(sub: string, reason: RevocationReason, change: (tx: EntityManager) => Promise<void>): Promise<void> {
    await this.db.transaction(async (tx) => {
      await change(tx);
      await this.revokeSubject(sub, reason, tx);
    });
    await this.outbox.deliver();
  }
}
