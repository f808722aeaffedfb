import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { randomToken, sha256 } from '../crypto/secrets.js';
import { AuthorizationCodeEntity } from './authorization-code.entity.js';

/** What an authorization request established, bound into its code. */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  /** BASE64URL(SHA256(code_verifier)); only S256 challenges are ever accepted (RFC 7636 §4.2, OAuth 2.1). */
  codeChallenge: string;
  userId: string;
  scope: string;
  audiences: string[];
  nonce: string | null;
  /** RFC 9449 §10: the thumbprint of the key the code is bound to (`dpop_jkt`); absent or null: not bound. */
  dpopJkt?: string | null;
  authTime: Date;
  ssoSessionId: string | null;
}

/**
 * A redemption's outcome. `reused`: the code was redeemed before; RFC 6749 §4.1.2 says the server
 * SHOULD revoke every token issued from it (its `familyId`), and the caller must then refuse.
 */
export type CodeRedemption =
  | { kind: 'live'; code: AuthorizationCodeEntity }
  | { kind: 'reused'; code: AuthorizationCodeEntity }
  | { kind: 'expired' }
  | { kind: 'unknown' };

/** Used and expired codes are kept this long past their expiry (a late replay still finds its family), then purged. */
const KEEP_AFTER_EXPIRY_MS = 3600_000;

/**
 * Authorization codes: 256 random bits, stored as their SHA-256, single use, at most
 * AUTH_CODE_TTL_S (≤ 60 s) old. Postgres, like refresh tokens: a code accepted is never lost to a
 * restart, and single use holds across auth replicas by a conditional UPDATE.
 */
@Injectable()
export class AuthorizationCodes {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /** Stores a new code for `grant` and returns its value (shown once, in the redirect). */
  async issue(grant: CodeGrant, now = new Date()): Promise<string> {
    const code = randomToken();
    await this.db.getRepository(AuthorizationCodeEntity).insert({
      ...grant,
      dpopJkt: grant.dpopJkt ?? null,
      codeHash: sha256(code),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.auth.codeTtlSeconds * 1000),
      usedAt: null,
      familyId: null,
    });
    return code;
  }

  /**
   * Marks the code used, in `tx` (with the tokens it issues, so a crash cannot leave a spent code
   * without its family or tokens without a spent code). Concurrent redemptions: the row lock of the
   * UPDATE lets exactly one see `live`; the others see `reused`.
   */
  async redeem(tx: EntityManager, code: string, now = new Date()): Promise<CodeRedemption> {
    const hash = sha256(code);
    const row = await tx.findOne(AuthorizationCodeEntity, { where: { codeHash: hash }, lock: { mode: 'pessimistic_write' } });
    if (!row) return { kind: 'unknown' };
    if (row.usedAt) return { kind: 'reused', code: row };
    if (row.expiresAt <= now) return { kind: 'expired' };
    await tx.update(AuthorizationCodeEntity, { codeHash: hash }, { usedAt: now });
    row.usedAt = now;
    return { kind: 'live', code: row };
  }

  /** Records the refresh family a redemption started (in the redemption's transaction). */
  async recordFamily(tx: EntityManager, codeHash: Buffer, familyId: string): Promise<void> {
    await tx.update(AuthorizationCodeEntity, { codeHash }, { familyId });
  }

  /** Deletes codes long past their expiry; returns how many. */
  async purge(now = new Date()): Promise<number> {
    const result = await this.db
      .getRepository(AuthorizationCodeEntity)
      .delete({ expiresAt: LessThan(new Date(now.getTime() - KEEP_AFTER_EXPIRY_MS)) });
    return result.affected ?? 0;
  }
}
