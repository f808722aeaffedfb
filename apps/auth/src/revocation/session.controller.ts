import { Body, Controller, ForbiddenException, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@authmesh/token-verifier';
import { AddressRateLimitGuard } from '../users/address-rate-limit.guard.js';
import { UsersService } from '../users/users.service.js';
import { PresentedTokenGuesses } from './presented-token-guesses.js';
import { SessionRevoker } from './session-revoker.service.js';

export class LogoutDto {
  @ApiPropertyOptional({ maxLength: 512, description: "Also revoke this refresh token's family." })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  refresh_token?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 256, format: 'password' })
  @IsString()
  @MaxLength(256)
  currentPassword!: string;

  @ApiProperty({ minLength: 12, maxLength: 256, format: 'password' })
  @IsString()
  @MinLength(12, { message: 'newPassword must be at least 12 characters' })
  @MaxLength(256)
  newPassword!: string;
}

/** The caller's own sessions; needs a user access token for audience `auth`. */
@UseGuards(AddressRateLimitGuard)
@Controller('auth')
export class SessionController {
  constructor(
    private readonly revoker: SessionRevoker,
    private readonly users: UsersService,
    private readonly guesses: PresentedTokenGuesses,
  ) {}

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

  /**
   * Changes the password and ends every session (a stolen token must not survive it). The current
   * password is checked under login's guessing budgets, and a token that sends
   * AUTH_PASSWORD_MAX_FAILURES_PER_TOKEN wrong ones is revoked: whoever holds it is guessing, and
   * the owner can log in again.
   */
  @Post('password')
  @HttpCode(200)
  @ApiOperation({ summary: "Change the password (checked under login's guessing budgets) and end every session" })
  @ApiOkResponse({ schema: { type: 'object', properties: { changed: { type: 'boolean', enum: [true] } } } })
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
    @Ip() ip: string,
  ): Promise<{ changed: true }> {
    if (principal.isService) throw new ForbiddenException('Only a user has a password');
    await this.guesses.guard(principal, () =>
      this.revoker.changeAndRevokeSubject(principal.sub, 'password_changed', (tx) =>
        this.users.changePassword(principal.sub, body.currentPassword, body.newPassword, ip, tx),
      ),
    );
    return { changed: true };
  }
}
