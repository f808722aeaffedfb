import { Body, Controller, ForbiddenException, HttpCode, Ip, Post, UseGuards } from '@nestjs/common';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@authmesh/token-verifier';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { PresentedTokenGuesses } from './presented-token-guesses.js';
import { UsersService } from './users.service.js';

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

/** The caller's own password; needs a user access token for audience `auth`. */
@UseGuards(AddressBudgetGuard)
@Controller('auth')
export class PasswordController {
  constructor(
    private readonly revoker: SessionRevoker,
    private readonly users: UsersService,
    private readonly guesses: PresentedTokenGuesses,
  ) {}

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
