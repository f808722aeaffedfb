import { Logger } from '@nestjs/common';

/**
 * A message to the owner of an e-mail address, delivered out of band so that the HTTP answer to
 * `POST /auth/register` is the same whether or not the address has an account (no account
 * enumeration, OWASP ASVS 2.0 V6.3.7 / the Authentication cheat sheet's "Account creation").
 */
export type AccountMessage =
  /** A new account: the token proves the address (POST /auth/verify-email). */
  | { kind: 'verify_email'; to: string; token: string; expiresAt: string }
  /** A registration for an address that already has an account: nothing changed; the owner is told. */
  | { kind: 'registration_attempt'; to: string }
  /**
   * The right password from `address`, which the account does not know, while the account-wide
   * failure cap is spent (the login was refused all the same): the token (POST /auth/unlock) makes
   * that address known, so the owner can log in from it.
   */
  | { kind: 'unlock_address'; to: string; address: string; token: string; expiresAt: string };

/** Delivers account messages (e-mail, a queue, a test's capture server). Implementations must not throw for a refused delivery; they log it. */
export interface AccountMessageSender {
  send(message: AccountMessage): Promise<void>;
}

/** Injection token of the AccountMessageSender. */
export const ACCOUNT_MESSAGE_SENDER = Symbol('AccountMessageSender');

/**
 * The default when no webhook is configured: one log line per message. It carries the
 * verification or unlock token (without it nobody could verify under `npm start`), never a password,
 * which is never part of a message at all.
 */
export class LogAccountMessageSender implements AccountMessageSender {
  private readonly logger = new Logger('AccountMessages');

  send(message: AccountMessage): Promise<void> {
    if (message.kind === 'verify_email') {
      this.logger.log(`account message ${message.kind} to ${message.to}: token ${message.token} (expires ${message.expiresAt})`);
    } else if (message.kind === 'unlock_address') {
      this.logger.log(
        `account message ${message.kind} to ${message.to} for address ${message.address}: token ${message.token} (expires ${message.expiresAt})`,
      );
    } else {
      this.logger.log(`account message ${message.kind} to ${message.to}`);
    }
    return Promise.resolve();
  }
}

/**
 * POSTs each message as JSON to AUTH_MAIL_WEBHOOK_URL (what a deployment connects to its mailer).
 * A failed delivery is logged, never retried here and never surfaced to the registrant: the
 * registration answer must not depend on it.
 */
export class WebhookAccountMessageSender implements AccountMessageSender {
  private readonly logger = new Logger('AccountMessages');

  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
  ) {}

  async send(message: AccountMessage): Promise<void> {
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel();
      if (!res.ok) this.logger.warn(`account message ${message.kind}: the webhook answered ${res.status}`);
    } catch (e) {
      this.logger.warn(`account message ${message.kind}: the webhook failed (${(e as Error).message})`);
    }
  }
}
