import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@authmesh/token-verifier';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';

export class LogoutDto {
  @ApiPropertyOptional({ maxLength: 512, description: "Also revoke this refresh token's family." })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  refresh_token?: string;
}

/** The caller's own sessions; needs a user access token for audience `auth`. */
@UseGuards(AddressBudgetGuard)
@Controller('auth')
export class SessionController {
  constructor(private readonly revoker: SessionRevoker) {}

  /** Ends this session: the current access token and its refresh family. */
  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'End this session: the access token and its refresh family' })
  @ApiOkResponse({ schema: { type: 'object', properties: { revoked: { type: 'boolean', enum: [true] } } } })
  async logout(@CurrentPrincipal() principal: Principal, @Body() body: LogoutDto): Promise<{ revoked: true }> {
    await this.revoker.logout(principal.sub, principal.tokenId, new Date(principal.expiresAt), body.refresh_token);
    return { revoked: true };
  }

  /** Ends every session of the caller, everywhere. */
  @Post('logout-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'End every session of the caller' })
  @ApiOkResponse({ schema: { type: 'object', properties: { revoked: { type: 'boolean', enum: [true] } } } })
  async logoutAll(@CurrentPrincipal() principal: Principal): Promise<{ revoked: true }> {
    await this.revoker.revokeSubject(principal.sub, 'logout_all');
    return { revoked: true };
  }
}
