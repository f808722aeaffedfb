import type { Provider } from '@nestjs/common';
import type { AuthConfig } from '../config/auth.config.js';
import {
  ACCOUNT_MESSAGE_SENDER,
  type AccountMessageSender,
  LogAccountMessageSender,
  WebhookAccountMessageSender,
} from './account-messages.js';

/** The webhook sender when AUTH_MAIL_WEBHOOK_URL is set, the log otherwise. */
export function accountMessageSenderProvider(config: AuthConfig): Provider<AccountMessageSender> {
  return {
    provide: ACCOUNT_MESSAGE_SENDER,
    useFactory: (): AccountMessageSender =>
      config.auth.mailWebhookUrl ? new WebhookAccountMessageSender(config.auth.mailWebhookUrl) : new LogAccountMessageSender(),
  };
}
