import { Module } from '@nestjs/common';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { AuthRevocationModule } from '../revocation/revocation.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AccountApiKeysController } from './account-api-keys.controller.js';
import { ApiKeyExchange } from './api-key-exchange.js';
import { ApiKeyHasher } from './api-key-hasher.js';
import { ApiKeysAdminController } from './api-keys-admin.controller.js';
import { ApiKeysService } from './api-keys.service.js';

/**
 * API keys of third-party servers (issue 22): `/admin/api-keys`, the owner's `/auth/api-keys`, and
 * the token exchange that turns a key into a short token for one service (used by OAuthModule's
 * token endpoint).
 */
@Module({
  imports: [AuthRevocationModule, TokensModule, RateLimitModule],
  controllers: [ApiKeysAdminController, AccountApiKeysController],
  providers: [ApiKeyHasher, ApiKeysService, ApiKeyExchange],
  exports: [ApiKeyExchange],
})
export class ApiKeysModule {}
