import { Body, Controller, ForbiddenException, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { CurrentPrincipal, InvalidTokenHttpError, type Principal, TokenRevokedError } from '@authmesh/token-verifier';
import { AddressRateLimitGuard } from '../users/address-rate-limit.guard.js';
import { LoginLimiter } from '../users/login-limiter.js';
import { InvalidCredentials, UsersService } from '../users/users.service.js';
import { SessionRevoker } from './session-revoker.service.js';

export class LogoutDto {
  @IsOptional()
  @IsString()
  @MaxLength(512)
  refresh_token?: string;
}

export class ChangePasswordDto {
  @IsString()
  @MaxLength(256)
  currentPassword!: string;

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
    private readonly limiter: LoginLimiter,
  ) {}

  /** Ends this session: the current access token and its refresh family. */
  @Post('logout')
  @HttpCode(200)
  async logout(@CurrentPrincipal() principal: Principal, @Body() body: LogoutDto): Promise<{ revoked: true }> {
    await this.revoker.logout(principal.sub, principal.tokenId, new Date(principal.expiresAt), body.refresh_token);
    return { revoked: true };
  }

  /** Ends every session of the caller, everywhere. */
  @Post('logout-all')
  @HttpCode(200)
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
  async changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ChangePasswordDto,
    @Ip() ip: string,
  ): Promise<{ changed: true }> {
    if (principal.isService) throw new ForbiddenException('Only a user has a password');
    const expiresAt = new Date(principal.expiresAt);
    const left = await this.limiter.takeTokenAttempt(principal.tokenId);
    if (left < 0) {
      // Spent already (a parallel guess, or the revocation has not reached this verifier yet).
      await this.revoker.revokeAccessToken(principal.tokenId, expiresAt);
      throw new InvalidTokenHttpError(new TokenRevokedError('wrong current passwords spent on this token'));
    }
    try {
      await this.revoker.changeAndRevokeSubject(principal.sub, 'password_changed', (tx) =>
        this.users.changePassword(principal.sub, body.currentPassword, body.newPassword, ip, tx),
      );
    } catch (e) {
      if (!(e instanceof InvalidCredentials)) await this.limiter.cancelTokenAttempt(principal.tokenId);
      else if (left === 0) await this.revoker.revokeAccessToken(principal.tokenId, expiresAt);
      throw e;
    }
    return { changed: true };
  }
}
