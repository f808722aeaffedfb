import { Body, Controller, Headers, HttpCode, Ip, Post, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import type { FastifyReply } from 'fastify';
import { Public, Rules } from '@authmesh/platform';
import { schemaRef } from '@authmesh/platform';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiSecurity } from '@nestjs/swagger';
import { CLIENT_BASIC_SCHEME } from '../auth.openapi.js';
import type { TokenResponse } from '../accounts/login.service.js';
import { TokenEndpoint } from './token-endpoint.service.js';
import { ClientAuthBudgetInterceptor } from './client-auth-budget.interceptor.js';

/**
 * OAuth endpoints take form or JSON bodies (RFC 6749 §3.2 requires the form) and answer every
 * error in RFC 6749 §5.2 form, including what the platform refuses before the handler (bad JSON,
 * a too-large body, a refused string, a wrong media type).
 */
const OAUTH_RULES = { acceptsForm: true, errorStyle: 'rfc6749' } as const;

@Public()
@UseGuards(AddressBudgetGuard)
// Failed client authentications are budgeted per client and per address (ClientAuthLimiter).
@UseInterceptors(ClientAuthBudgetInterceptor)
@Controller('oauth')
export class OAuthController {
  constructor(private readonly endpoint: TokenEndpoint) {}

  @Post('token')
  @Rules(OAUTH_RULES)
  @HttpCode(200)
  @ApiOperation({
    summary:
      'RFC 6749 token endpoint: authorization_code, refresh_token, client_credentials, RFC 8693 token exchange; a `DPoP` proof header (RFC 9449) binds the token to its key',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ schema: schemaRef('TokenRequest') })
  // Applied bottom-up: client_secret_basic is listed first; {} is the first-party public client's refresh or revoke.
  @ApiSecurity({})
  @ApiSecurity(CLIENT_BASIC_SCHEME)
  @ApiOkResponse({ schema: schemaRef('TokenResponse') })
  async token(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Headers('dpop') dpop: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Ip() ip: string,
  ): Promise<TokenResponse> {
    // RFC 9449 §8: the nonce goes out on every token response (errors included: set before the
    // grant runs, the error filter keeps it), so a client has it before a nonce is ever required.
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache').header('dpop-nonce', this.endpoint.dpopNonce());
    return this.endpoint.token(body, authorization, dpop, ip);
  }

  @Post('introspect')
  @Rules(OAUTH_RULES)
  @HttpCode(200)
  @ApiOperation({ summary: 'RFC 7662 introspection (a client learns only about tokens it is entitled to see)' })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ schema: schemaRef('IntrospectionRequest') })
  @ApiSecurity(CLIENT_BASIC_SCHEME)
  @ApiOkResponse({ schema: schemaRef('IntrospectionResponse') })
  async introspect(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    void reply.header('cache-control', 'no-store');
    return this.endpoint.introspect(body, authorization);
  }

  @Post('revoke')
  @Rules(OAUTH_RULES)
  @HttpCode(200)
  @ApiOperation({ summary: "RFC 7009 revocation of one of the caller's tokens (200 whatever the token was)" })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ schema: schemaRef('RevocationRequest') })
  // Applied bottom-up: client_secret_basic is listed first; {} is the first-party public client's refresh or revoke.
  @ApiSecurity({})
  @ApiSecurity(CLIENT_BASIC_SCHEME)
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: false } })
  async revoke(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, never>> {
    void reply.header('cache-control', 'no-store');
    await this.endpoint.revoke(body, authorization);
    return {};
  }
}
