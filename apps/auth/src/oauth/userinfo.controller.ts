import { Controller, Get, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AppError, schemaRef } from '@authmesh/platform';
import { USERINFO_AUDIENCE } from '@authmesh/contracts';
import { CurrentPrincipal, type Principal, RouteAudience, Scopes } from '@authmesh/token-verifier';
import { ApiBearerAuth, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { UserEntity } from '../accounts/user.entity.js';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';

/** OpenID Connect Core §5.3.2: the claims of the token's user. */
export interface UserinfoResponse {
  sub: string;
  email: string;
  email_verified: boolean;
}

/** The token verified but its user is gone or disabled: RFC 6750 §3.1 invalid_token. */
export class UserinfoSubjectGoneError extends AppError {
  static readonly code = 'userinfo_subject_gone';
  readonly code = UserinfoSubjectGoneError.code;
  readonly status = 401;
  override readonly headers = { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token is not valid"' };

  constructor() {
    super('The access token is not valid');
  }
}

/**
 * `GET|POST /oauth/userinfo` (OpenID Connect Core §5.3). The bearer token (header only, RFC 6750
 * §2.1) is checked by auth's global guard like every auth route: RS256, `typ: at+jwt` (an ID token
 * is refused), audience `userinfo` (every `openid` grant's token names it; `auth` does not open
 * userinfo, nor `userinfo` the rest of auth), not revoked; then scope `openid`. Failures are RFC 6750 §3
 * challenges in `WWW-Authenticate` (401 invalid_token, 403 insufficient_scope).
 */
@UseGuards(AddressBudgetGuard)
@RouteAudience(USERINFO_AUDIENCE)
@Controller('oauth')
export class UserinfoController {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  @Get('userinfo')
  @Scopes('openid')
  @Header('cache-control', 'no-store')
  @ApiBearerAuth()
  @ApiOperation({ summary: "OpenID Connect userinfo: the token's user (scope openid, audience userinfo)" })
  @ApiOkResponse({ schema: schemaRef('UserinfoResponse') })
  get(@CurrentPrincipal() principal: Principal): Promise<UserinfoResponse> {
    return this.claims(principal);
  }

  // §5.3.1: the endpoint MUST support GET and POST.
  @Post('userinfo')
  @HttpCode(200)
  @Scopes('openid')
  @Header('cache-control', 'no-store')
  @ApiBearerAuth()
  @ApiOperation({ summary: "OpenID Connect userinfo: the token's user (scope openid, audience userinfo)" })
  @ApiOkResponse({ schema: schemaRef('UserinfoResponse') })
  post(@CurrentPrincipal() principal: Principal): Promise<UserinfoResponse> {
    return this.claims(principal);
  }

  private async claims(principal: Principal): Promise<UserinfoResponse> {
    // A client-credentials token has no user: its sub is a client id, not a uuid.
    const user = principal.isService ? null : await this.users.findOne({ where: { id: principal.sub } });
    if (!user || user.disabled) throw new UserinfoSubjectGoneError();
    return { sub: user.id, email: user.email, email_verified: user.emailVerifiedAt !== null };
  }
}
