import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { InjectConfig, RequestValidationError } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { SecretHasher, randomToken, sha256 } from '../crypto/secrets.js';
import { isCommonPassword } from './common-passwords.js';
import { UserEntity } from './user.entity.js';
import { normaliseEmail } from './users.service.js';
import { ACCOUNT_MESSAGE_SENDER, type AccountMessage, type AccountMessageSender } from './account-messages.js';
import { EmailUnverified, InvalidVerificationToken } from './accounts.errors.js';
import { EmailVerificationTokenEntity } from './email-verification-token.entity.js';

/** A login to an unverified account sends a new token at most this often. */
const RESEND_INTERVAL_MS = 60_000;

/**
 * Registration that does not tell who has an account (OWASP Authentication cheat sheet, "Account
 * creation"): a known and an unknown address get the same answer after the same argon2id work,
 * and the difference is delivered only to the address itself — a verification token for a new
 * account, a "someone tried to register with your address" note for an existing one (whose
 * account is left exactly as it was).
 */
@Injectable()
export class RegistrationService {
  private readonly logger = new Logger('Registration');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hasher: SecretHasher,
    @Inject(ACCOUNT_MESSAGE_SENDER) private readonly sender: AccountMessageSender,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async register(email: string, password: string, now = new Date()): Promise<void> {
    if (isCommonPassword(password)) throw new RequestValidationError([{ field: 'password', problems: ['password is too common'] }]);
    const to = normaliseEmail(email);
    // Hashed in both branches: a known address must cost the same time as a new one.
    const passwordHash = await this.hasher.hash(password);
    const created = await this.db.transaction(async (tx) => {
      // ON CONFLICT DO NOTHING: a taken address changes nothing (no password overwritten), and
      // two registrations racing for one address can't both create it.
      const rows = (await tx.query(
        `INSERT INTO users (email, password_hash, extra_scopes, disabled) VALUES ($1, $2, '{}', false)
         ON CONFLICT (email) DO NOTHING RETURNING id`,
        [to, passwordHash],
      )) as { id: string }[];
      const userId = rows[0]?.id;
      if (!userId) return undefined;
      return this.newVerificationToken(tx.getRepository(EmailVerificationTokenEntity), userId, now);
    });
    this.deliver(
      created
        ? { kind: 'verify_email', to, token: created.token, expiresAt: created.expiresAt.toISOString() }
        : { kind: 'registration_attempt', to },
    );
  }

  /** Marks the address of the token's account verified; the token works once, before it expires. */
  async verifyEmail(token: string, now = new Date()): Promise<void> {
    const verified = await this.db.transaction(async (tx) => {
      // The conditional update is the single-use check: of two concurrent uses, one updates the row.
      const used = (await tx.query(
        `UPDATE email_verification_tokens SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id`,
        [sha256(token), now],
      )) as [{ user_id: string }[], number];
      const userId = used[0][0]?.user_id;
      if (!userId) return false;
      await tx.update(UserEntity, { id: userId, emailVerifiedAt: IsNull() }, { emailVerifiedAt: now });
      return true;
    });
    if (!verified) throw new InvalidVerificationToken();
  }

  /**
   * Login's last check under AUTH_EMAIL_VERIFICATION=required, called once the password was right.
   * An unverified account is refused, and a fresh token is sent to its address — at most one per
   * RESEND_INTERVAL_MS, so repeated logins can't flood the mailbox. This is the "resend" path: a
   * registrant whose token expired (or who registered while verification was off) logs in to get
   * a new one; whoever knows the password could have registered it, so it gives nothing away.
   */
  async requireVerified(user: UserEntity, now = new Date()): Promise<void> {
    if (this.config.auth.emailVerification !== 'required' || user.emailVerifiedAt) return;
    const tokens = this.db.getRepository(EmailVerificationTokenEntity);
    const recent = await tokens.exists({ where: { userId: user.id, createdAt: MoreThan(new Date(now.getTime() - RESEND_INTERVAL_MS)) } });
    if (!recent) {
      const fresh = await this.newVerificationToken(tokens, user.id, now);
      this.deliver({ kind: 'verify_email', to: user.email, token: fresh.token, expiresAt: fresh.expiresAt.toISOString() });
    }
    throw new EmailUnverified();
  }

  /**
   * Out of band: the HTTP answer neither waits for the delivery nor depends on it (a slow mailer
   * would otherwise time which registration branch ran).
   */
  private deliver(message: AccountMessage): void {
    void this.sender.send(message).catch((e: unknown) => this.logger.warn(`account message ${message.kind} not sent: ${String(e)}`));
  }

  private async newVerificationToken(
    tokens: { insert(row: EmailVerificationTokenEntity): Promise<unknown> },
    userId: string,
    now: Date,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken();
    const expiresAt = new Date(now.getTime() + this.config.auth.emailVerificationTtlSeconds * 1000);
    await tokens.insert({ tokenHash: sha256(token), userId, createdAt: now, expiresAt, usedAt: null });
    return { token, expiresAt };
  }
}
