import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module.js';
import { UserEntity } from '../accounts/user.entity.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AccountSessionsController } from './account-sessions.controller.js';
import { AccountSessionsService } from './account-sessions.service.js';
import { AdminTokenController } from './admin-token.controller.js';
import { AdminTokenService } from './admin-token.service.js';
import { SessionController } from './session.controller.js';

/**
 * What a signed-in caller does with its session: `/auth/logout`, `/auth/logout-all`, and
 * `/auth/admin-token` (the short-lived auth:admin token, re-entering the password), and the account
 * API `/auth/sessions` (the caller's devices and apps, each revocable).
 */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity]), AccountsModule, TokensModule, AuthRevocationModule, RateLimitModule],
  controllers: [SessionController, AdminTokenController, AccountSessionsController],
  providers: [AdminTokenService, AccountSessionsService],
})
export class SessionsModule {}
