import { Body, Controller, HttpCode, Ip, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { IsString, MaxLength } from 'class-validator';
import { schemaRef } from '@authmesh/platform';
import { ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@authmesh/token-verifier';
import { PresentedTokenGuesses } from '../accounts/presented-token-guesses.js';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { type AdminTokenResponse, AdminTokenService } from './admin-token.service.js';

export class AdminTokenDto {
  @ApiProperty({ maxLength: 256, format: 'password', description: "The caller's password, re-entered." })
  @IsString()
  @MaxLength(256)
  password!: string;
}

/** `POST /auth/admin-token`: the step from a user's login token to a short admin token (AdminTokenService). */
@UseGuards(AddressBudgetGuard)
@Controller('auth')
export class AdminTokenController {
  constructor(
    private readonly adminTokens: AdminTokenService,
    private readonly guesses: PresentedTokenGuesses,
  ) {}

  @Post('admin-token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Step up from a login token (audience auth) and the password to a short auth:admin token' })
  @ApiOkResponse({ schema: schemaRef('AdminTokenResponse') })
  async issue(
    @CurrentPrincipal() principal: Principal,
    @Body() body: AdminTokenDto,
    @Ip() ip: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AdminTokenResponse> {
    // RFC 6749 §5.1: a response holding a token must not be cached.
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    // The password re-entered with a token: the token's wrong-password allowance applies, as at
    // POST /auth/password (a stolen login token must not become a password oracle).
    return this.guesses.guard(principal, () => this.adminTokens.issue(principal, body.password, ip));
  }
}
