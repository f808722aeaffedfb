import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { KeysModule } from '../keys/keys.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { AccountPasswordController } from './account-password.controller.js';
import { AuthorizationCodes } from './authorization-codes.service.js';
import { AuthorizeController } from './authorize.controller.js';
import { AuthorizeFlow } from './authorize-flow.service.js';
import { ClientReturnTargets } from './client-return-targets.service.js';
import { Consents } from './consents.service.js';
import { FormCsrf } from './form-csrf.js';
import { LogoutController } from './logout.controller.js';
import { SsoSessions } from './sso-sessions.service.js';

/**
 * The browser-facing half of the authorization code flow: `GET /oauth/authorize`, the hosted
 * login (`POST /login`) and consent pages, SSO sessions, RP-initiated logout (`/oauth/logout`) and
 * the hosted change-password page. Exports the code store the token endpoint redeems from.
 */
@Module({
  imports: [AccountsModule, KeysModule, RateLimitModule, AuthRevocationModule],
  controllers: [AuthorizeController, LogoutController, AccountPasswordController],
  providers: [AuthorizationCodes, AuthorizeFlow, Consents, FormCsrf, SsoSessions, ClientReturnTargets],
  exports: [AuthorizationCodes, SsoSessions],
})
export class AuthorizeModule {}
