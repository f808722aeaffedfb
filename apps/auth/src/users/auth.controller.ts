import { Body, Controller, HttpCode, Ip, Post, Res, UseGuards } from '@nestjs/common';
import { AddressRateLimitGuard } from './address-rate-limit.guard.js';
import type { FastifyReply } from 'fastify';
import { Public } from '@authmesh/platform';
import { LoginDto, RegisterDto } from './auth.dto.js';
import { LoginService, type TokenResponse } from './login.service.js';
import { UsersService } from './users.service.js';

@Public()
@UseGuards(AddressRateLimitGuard)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly login: LoginService,
  ) {}

  @Post('register')
  async register(@Body() body: RegisterDto): Promise<{ id: string; email: string }> {
    const user = await this.users.register(body.email, body.password);
    return { id: user.id, email: user.email };
  }

  @Post('login')
  @HttpCode(200)
  async logIn(@Body() body: LoginDto, @Ip() ip: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TokenResponse> {
    void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return this.login.logIn(body.email, body.password, ip);
  }
}
