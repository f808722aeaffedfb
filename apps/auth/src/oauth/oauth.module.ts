import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { ClientAuthBudgetInterceptor } from './client-auth-budget.interceptor.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthController } from './oauth.controller.js';
import { TokenEndpoint } from './token-endpoint.service.js';

/**
 * The OAuth 2.0 endpoints under `/oauth`: token (client_credentials, refresh_token, RFC 8693
 * token exchange), introspect (RFC 7662) and revoke (RFC 7009), with client authentication.
 */
@Module({
  imports: [ClientsModule, TokensModule, AuthRevocationModule, RateLimitModule],
  controllers: [OAuthController],
  providers: [ClientAuthenticator, TokenEndpoint, ClientAuthBudgetInterceptor],
})
export class OAuthModule {}
