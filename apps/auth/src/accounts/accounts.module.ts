import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CryptoModule } from '../crypto/crypto.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { accountMessageSenderProvider } from './account-messages.provider.js';
import { AuthController } from './auth.controller.js';
import { LoginLimiter } from './login-limiter.js';
import { LoginService } from './login.service.js';
import { PasswordController } from './password.controller.js';
import { PresentedTokenGuesses } from './presented-token-guesses.js';
import { RegistrationService } from './registration.service.js';
import { UnlockService } from './unlock.service.js';
import { UserEntity } from './user.entity.js';
import { UsersAdminController } from './users-admin.controller.js';
import { UsersService } from './users.service.js';

/**
 * User accounts: register, verify-email, unlock, login and password under `/auth`, and
 * `/admin/users/:id/disable`; the users table, the login guessing limits and the account
 * messages (verification and unlock mails).
 */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity]), CryptoModule, RateLimitModule, TokensModule, AuthRevocationModule],
  controllers: [AuthController, PasswordController, UsersAdminController],
  providers: [
    UsersService,
    LoginLimiter,
    LoginService,
    RegistrationService,
    UnlockService,
    accountMessageSenderProvider,
    PresentedTokenGuesses,
  ],
  exports: [UsersService, LoginLimiter, LoginService, PresentedTokenGuesses],
})
export class AccountsModule {}
