import { Body, Controller, HttpCode, Ip, Post, Res, UseGuards } from '@nestjs/common';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import type { FastifyReply } from 'fastify';
import { Public } from '@authmesh/platform';
import { schemaRef } from '@authmesh/platform';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { RegistrationService } from './registration.service.js';
import { UnlockService } from './unlock.service.js';
import { LoginDto, RegisterDto, UnlockDto, VerifyEmailDto } from './auth.dto.js';
import { LoginService, type TokenResponse } from './login.service.js';

@Public()
@UseGuards(AddressBudgetGuard)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly login: LoginService,
    private readonly unlocks: UnlockService,
  ) {}

  /**
   * The same 202 whether or not the address has an account (no enumeration); what happened is told
   * only to the address, out of band (RegistrationService). The account's id is not in the answer:
   * it is the `sub` of the tokens /auth/login issues.
   */
  @Post('register')
  @HttpCode(202)
  @ApiOperation({ summary: 'Register an account (the same 202 whether or not the address has one; the address gets a message)' })
  @ApiAcceptedResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['accepted'] } } } })
  async register(@Body() body: RegisterDto): Promise<{ status: 'accepted' }> {
    await this.registration.register(body.email, body.password);
    return { status: 'accepted' };
  }

  /** Proves the address with the token from the verification message (single use, expiring). */
  @Post('verify-email')
  @HttpCode(200)
  @ApiOperation({ summary: 'Prove the address with the token from the verification message' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['verified'] } } } })
  async verifyEmail(@Body() body: VerifyEmailDto): Promise<{ status: 'verified' }> {
    await this.registration.verifyEmail(body.token);
    return { status: 'verified' };
  }

  /**
   * Redeems the token of an unlock message (single use, expiring): the address the right password
   * came from becomes known to the account, so the account-wide failure cap no longer holds it.
   */
  @Post('unlock')
  @HttpCode(200)
  @ApiOperation({ summary: "Redeem an unlock message's token" })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['unlocked'] } } } })
  async unlock(@Body() body: UnlockDto): Promise<{ status: 'unlocked' }> {
    await this.unlocks.redeem(body.token);
    return { status: 'unlocked' };
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with e-mail and password: an access token (audiences orders, profiles, auth) and a refresh token' })
  @ApiOkResponse({ schema: schemaRef('TokenResponse') })
  async logIn(@Body() body: LoginDto, @Ip() ip: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenResponse> {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return this.login.logIn(body.email, body.password, ip);
  }
}
