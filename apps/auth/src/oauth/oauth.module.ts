import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserEntity } from '../accounts/user.entity.js';
import { AuthorizationCodes } from '../authorize/authorization-codes.service.js';
import { APP_CONFIG, RedisConnection } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { ASSERTION_REPLAY, DPOP_PROOF_REPLAY, JtiReplayStore } from './jti-replay.store.js';
import { TokenRequestDpop } from './token-request-dpop.js';
import { ClientAssertionVerifier } from './client-assertion.js';
import { ClientsModule } from '../clients/clients.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { ClientAuthBudgetInterceptor } from './client-auth-budget.interceptor.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { OAuthController } from './oauth.controller.js';
import { TokenEndpoint } from './token-endpoint.service.js';
import { UserinfoController } from './userinfo.controller.js';

/**
 * The OAuth 2.0 endpoints under `/oauth`: token (authorization_code with PKCE, client_credentials,
 * refresh_token, RFC 8693 token exchange), introspect (RFC 7662), revoke (RFC 7009) and OpenID
 * Connect userinfo, with client authentication by secret (RFC 6749 §2.3.1), private_key_jwt
 * assertion (RFC 7523 §2.2, jtis single-use in Redis) or, for a public client, client_id alone; DPoP
 * proofs (RFC 9449) on every grant, their jtis single-use in Redis too.
 *
 * AuthorizationCodes is provided here until the AuthorizeModule (the authorization endpoint)
 * exports it; then this module imports that one instead (one instance: it holds no state anyway).
 */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity]), ClientsModule, TokensModule, AuthRevocationModule, RateLimitModule, ApiKeysModule],
  controllers: [OAuthController, UserinfoController],
  providers: [
    AuthorizationCodes,
    ClientAuthenticator,
    TokenEndpoint,
    ClientAuthBudgetInterceptor,
    {
      provide: ASSERTION_REPLAY,
      useFactory: (redis: RedisConnection) =>
        new JtiReplayStore(redis, {
          keyPrefix: 'auth:assertion-jti:',
          unavailableMessage: 'Client authentication is temporarily unavailable',
        }),
      inject: [RedisConnection],
    },
    {
      provide: DPOP_PROOF_REPLAY,
      useFactory: (redis: RedisConnection) =>
        new JtiReplayStore(redis, { keyPrefix: 'auth:dpop-jti:', unavailableMessage: 'DPoP proof checking is temporarily unavailable' }),
      inject: [RedisConnection],
    },
    {
      provide: TokenRequestDpop,
      useFactory: (config: AuthConfig, replay: JtiReplayStore) => new TokenRequestDpop(config, replay),
      inject: [APP_CONFIG, DPOP_PROOF_REPLAY],
    },
    {
      provide: ClientAssertionVerifier,
      useFactory: (config: AuthConfig, replay: JtiReplayStore) =>
        new ClientAssertionVerifier({
          issuer: config.auth.issuer,
          tokenEndpoint: `${config.auth.issuer}/oauth/token`,
          clockToleranceSeconds: config.auth.clockToleranceSeconds,
          replay,
        }),
      inject: [APP_CONFIG, ASSERTION_REPLAY],
    },
  ],
})
export class OAuthModule {}
