import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { randomToken, sha256 } from '../crypto/secrets.js';
import { LoginLimiter } from './login-limiter.js';
import type { UserEntity } from './user.entity.js';
import { ACCOUNT_MESSAGE_SENDER, type AccountMessageSender } from './account-messages.js';
import { InvalidUnlockToken } from './accounts.errors.js';
import { UnlockTokenEntity } from './unlock-token.entity.js';

/**
 * The way back in for an owner at a new address while a botnet keeps the account-wide failure
 * cap spent (which refuses every address the account does not know). Past the cap, login still
 * checks the password but answers the same 429 either way; a right one makes this service send
 * the account's address an unlock message, whose token (`POST /auth/unlock`) makes that address
 * known — and a known address is not held by the cap. The attacker learns nothing from a guess
 * past the cap (same answer), and a right guess without the mailbox unlocks nothing.
 */
@Injectable()
export class UnlockService {
  private readonly logger = new Logger('Unlock');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly limiter: LoginLimiter,
    @Inject(ACCOUNT_MESSAGE_SENDER) private readonly sender: AccountMessageSender,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /**
   * The right password from `address` past the cap. Out of band: the login's answer neither waits
   * for nor depends on this (it would otherwise time a right guess apart from a wrong one). At
   * most one message per (account, address) per few minutes (LoginLimiter.takeUnlockMessage).
   */
  offer(user: UserEntity, address: string): void {
    void this.send(user, address).catch((e: unknown) => this.logger.warn(`unlock message not sent: ${String(e)}`));
  }

  /** Redeems a token once, before it expires: its address becomes known to its account. */
  async redeem(token: string, now = new Date()): Promise<void> {
    const redeemed = await this.db.transaction(async (tx) => {
      // The conditional update is the single-use check: of two concurrent uses, one updates the row.
      const used = (await tx.query(
        `UPDATE unlock_tokens t SET used_at = $2 FROM users u
         WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2 AND u.id = t.user_id
         RETURNING u.email, t.address`,
        [sha256(token), now],
      )) as [{ email: string; address: string }[], number];
      const row = used[0][0];
      if (!row) return false;
      // Inside the transaction: if Redis can't take the record (503), the token stays unused.
      await this.limiter.markKnown(row.email, row.address);
      return true;
    });
    if (!redeemed) throw new InvalidUnlockToken();
  }

  private async send(user: UserEntity, address: string, now = new Date()): Promise<void> {
    if (!(await this.limiter.takeUnlockMessage(user.email, address))) return;
    const token = randomToken();
    const expiresAt = new Date(now.getTime() + this.config.auth.unlockTokenTtlSeconds * 1000);
    await this.db
      .getRepository(UnlockTokenEntity)
      .insert({ tokenHash: sha256(token), userId: user.id, address, createdAt: now, expiresAt, usedAt: null });
    await this.sender.send({ kind: 'unlock_address', to: user.email, address, token, expiresAt: expiresAt.toISOString() });
  }
}
