import { Logger, type Provider } from '@nestjs/common';
import { APP_CONFIG } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import {
  ACCOUNT_MESSAGE_SENDER,
  type AccountMessageSender,
  LogAccountMessageSender,
  WebhookAccountMessageSender,
} from './account-messages.js';

/** The webhook sender when AUTH_MAIL_WEBHOOK_URL is set, the log otherwise. */
export const accountMessageSenderProvider: Provider<AccountMessageSender> = {
  provide: ACCOUNT_MESSAGE_SENDER,
  useFactory: (config: AuthConfig): AccountMessageSender => {
    if (config.auth.mailWebhookUrl) return new WebhookAccountMessageSender(config.auth.mailWebhookUrl);
    if (config.auth.emailVerification === 'required') {
      // Fine on a laptop; in a deployment nobody reads the log for their verification token.
      new Logger('AccountMessages').warn(
        'AUTH_EMAIL_VERIFICATION=required without AUTH_MAIL_WEBHOOK_URL: verification tokens are only written to this log',
      );
    }
    return new LogAccountMessageSender();
  },
  inject: [APP_CONFIG],
};
