import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { InjectConfig, MetricsService } from '@authmesh/platform';
import { Counter } from 'prom-client';
import type { AuthConfig } from '../config/auth.config.js';
import { randomToken, sha256 } from '../crypto/secrets.js';
import { InvalidGrant } from '../oauth/oauth.errors.js';
import { RevocationOutbox } from '../revocation/revocation-outbox.service.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { UserEntity } from '../accounts/user.entity.js';
import { AccessTokenIssuer, type IssuedAccessToken } from './access-token.issuer.js';
import { withoutPrivilegedScopes } from './privileged-scopes.js';
import { RefreshFamilyEntity, RefreshTokenEntity } from './refresh-token.entity.js';

export interface TokenPair {
  access: IssuedAccessToken;
  refreshToken: string;
  scope: string;
  /** The refresh family the pair belongs to. */
  familyId: string;
}

export interface SessionGrant {
  userId: string;
  clientId: string;
  scope: string;
  audiences: string[];
  /** The SSO session (hosted login) the family comes from: ending it revokes the family. Absent for `/auth/login`. */
  ssoSessionId?: string | null;
  /** RFC 9449 §5: the DPoP key a public client's family is bound to; absent or null: not bound. */
  dpopJkt?: string | null;
}

/** The DPoP proof of a refresh or code redemption, as far as the family is concerned. */
export interface RefreshDpop {
  /** Thumbprint of the proof's key: the new access token is bound to it (`cnf.jkt`). */
  jkt: string;
  /**
   * Bind a family that is not bound yet to this key (a public client's: RFC 9449 §5 "refresh tokens
   * issued to public clients MUST be bound"). A confidential client's family stays unbound (§5 allows
   * it: its refresh token is already useless without the client's credentials).
   */
  bindFamily: boolean;
}

/**
 * Refresh-token families: one per login. Each refresh rotates the token; presenting a used token
 * again is reuse and revokes the whole family. There is no grace window: a lost refresh response
 * means logging in again, which is safer than any window an attacker could race (a token two
 * generations old must always count as reuse, and with no window that holds trivially).
 */
@Injectable()
export class RefreshTokensService {
  private readonly logger = new Logger('RefreshTokens');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly issuer: AccessTokenIssuer,
    private readonly revoker: SessionRevoker,
    private readonly outbox: RevocationOutbox,
    @InjectConfig() private readonly config: AuthConfig,
    metrics: MetricsService,
  ) {
    // A spike means stolen refresh tokens being replayed (or a client bug): the alert pages on it.
    this.reuseDetected = new Counter({
      name: 'refresh_token_reuse_detected_total',
      help: 'Used refresh tokens presented again (reuse detection, RFC 9700 refresh token rotation): each one revoked its whole family',
      registers: [metrics.registry],
    });
  }

  private readonly reuseDetected: Counter;

  /** Starts a family for a fresh login and returns its first token pair. */
  async startFamily(grant: SessionGrant, now = new Date()): Promise<TokenPair> {
    return this.db.transaction((tx) => this.startFamilyInTx(tx, grant, now));
  }

  /**
   * The same in the caller's transaction: a code redemption starts the family, records it on the
   * spent code and commits both or neither (a code can't be spent without its family on record,
   * so a replay always finds what to revoke).
   */
  async startFamilyInTx(tx: EntityManager, grant: SessionGrant, now = new Date(), accessJkt?: string): Promise<TokenPair> {
    const family = tx.create(RefreshFamilyEntity, {
      ...grant,
      ssoSessionId: grant.ssoSessionId ?? null,
      dpopJkt: grant.dpopJkt ?? null,
      createdAt: now,
      absoluteExpiresAt: new Date(now.getTime() + this.config.auth.refreshTokenAbsoluteSeconds * 1000),
      revokedAt: null,
      revokedReason: null,
    });
    await tx.save(family);
    return this.issuePair(tx, family, now, family.scope, accessJkt);
  }

  /**
   * Rotates a refresh token: the old one is marked used, a new pair is returned. The token must
   * belong to `clientId` (RFC 6749 §6); `narrowScope`, when given, is checked against the family's
   * scope before anything changes and applies to the new access token only (the family keeps its own).
   * A used token is reuse first of all: neither a bad scope nor another client skips the revocation.
   * A family bound to a DPoP key (RFC 9449 §5) rotates only with a proof of that key (`dpop`).
   */
  async rotate(
    presented: string,
    clientId: string,
    narrowScope?: (familyScope: string) => string,
    now = new Date(),
    dpop?: RefreshDpop,
  ): Promise<TokenPair> {
    let reuse: RefreshFamilyEntity | undefined;
    const pair = await this.db.transaction(async (tx) => {
      const row = await tx.findOne(RefreshTokenEntity, { where: { tokenHash: sha256(presented) }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw new InvalidGrant('The refresh token is invalid');
      const family = await tx.findOne(RefreshFamilyEntity, { where: { id: row.familyId }, lock: { mode: 'pessimistic_write' } });
      if (!family || family.revokedAt) throw new InvalidGrant('The refresh token is invalid');
      if (row.usedAt) {
        // Reuse (RFC 9700 §4.14.2): someone holds a copy of an old token. Checked before anything
        // else the request says — scope, client — so a replay can never learn about the family
        // (e.g. invalid_scope for a live family) without killing it. Whoever presents it, even
        // another client: a used token is never legitimately presented again, and the user client
        // is public (anyone can present a token as it), so sparing other clients protects no one.
        // Kill the family and blocklist its live access tokens (same transaction, through the
        // outbox); commit, then refuse.
        await this.revoker.revokeFamiliesInTx(tx, [family.id], 'reuse_detected', now);
        reuse = family;
        return undefined;
      }
      // A live token of another client: refuse without spending it (RFC 6749 §6: it is bound to
      // its client; presenting it elsewhere is refused, and its owner's session is not ended by
      // a third party).
      if (family.clientId !== clientId) throw new InvalidGrant('The refresh token was not issued to this client');
      // RFC 9449 §5: a bound refresh token without a proof of its key is a stolen copy (or a lost
      // key): refused, and not spent, so the holder of the key keeps its session.
      if (family.dpopJkt !== null && family.dpopJkt !== dpop?.jkt) throw new InvalidGrant('The refresh token is bound to another DPoP key');
      const scope = narrowScope ? narrowScope(family.scope) : family.scope;
      if (row.expiresAt <= now || family.absoluteExpiresAt <= now) throw new InvalidGrant('The refresh token has expired');
      const user = await tx.findOne(UserEntity, { where: { id: family.userId } });
      if (!user || user.disabled) throw new InvalidGrant('The refresh token is invalid');
      await tx.update(RefreshTokenEntity, { id: row.id, usedAt: IsNull() }, { usedAt: now });
      if (family.dpopJkt === null && dpop?.bindFamily === true) {
        // The refresh token issued now is issued with DPoP: from here on the family needs the key.
        await tx.update(RefreshFamilyEntity, { id: family.id }, { dpopJkt: dpop.jkt });
        family.dpopJkt = dpop.jkt;
      }
      return this.issuePair(tx, family, now, scope, dpop?.jkt);
    });
    if (reuse) {
      await this.outbox.deliver();
      this.reuseDetected.inc();
      this.logger.warn(`refresh token reuse detected: family ${reuse.id} of user ${reuse.userId} revoked`);
      throw new InvalidGrant('The refresh token is invalid');
    }
    return pair!;
  }

  /** Introspection of a refresh token: its family, when the token is live. */
  async findLive(presented: string, now = new Date()): Promise<{ family: RefreshFamilyEntity; token: RefreshTokenEntity } | null> {
    const token = await this.db.getRepository(RefreshTokenEntity).findOne({ where: { tokenHash: sha256(presented) } });
    if (!token || token.usedAt || token.expiresAt <= now) return null;
    const family = await this.db.getRepository(RefreshFamilyEntity).findOne({ where: { id: token.familyId } });
    if (!family || family.revokedAt || family.absoluteExpiresAt <= now) return null;
    return { family, token };
  }

  private async issuePair(
    tx: EntityManager,
    family: RefreshFamilyEntity,
    now: Date,
    familyScope = family.scope,
    accessJkt?: string,
  ): Promise<TokenPair> {
    // A family started before privileged scopes left login tokens may still list auth:admin:
    // a refresh never hands it out (it comes only from POST /auth/admin-token).
    const scope = withoutPrivilegedScopes(familyScope);
    const access = await this.issuer.issue(
      {
        sub: family.userId,
        clientId: family.clientId,
        audience: family.audiences,
        scope,
        ...(accessJkt === undefined ? {} : { cnfJkt: accessJkt }),
      },
      now,
    );
    const refreshToken = randomToken();
    // Sliding expiry, capped by the family's absolute maximum.
    const expiresAt = new Date(
      Math.min(now.getTime() + this.config.auth.refreshTokenTtlSeconds * 1000, family.absoluteExpiresAt.getTime()),
    );
    await tx.insert(RefreshTokenEntity, {
      familyId: family.id,
      tokenHash: sha256(refreshToken),
      issuedAt: now,
      expiresAt,
      usedAt: null,
      accessJti: access.jti,
      accessExpiresAt: access.expiresAt,
    });
    return { access, refreshToken, scope, familyId: family.id };
  }
}
