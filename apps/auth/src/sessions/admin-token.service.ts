import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import { InsufficientScopeError, type Principal } from '@authmesh/token-verifier';
import type { AuthConfig } from '../config/auth.config.js';
import { AccessTokenIssuer } from '../tokens/access-token.issuer.js';
import { ADMIN_AUDIENCE } from '../tokens/hop.guard.js';
import { LoginLimiter } from '../accounts/login-limiter.js';
import { UserEntity } from '../accounts/user.entity.js';
import { InvalidCredentials, UsersService } from '../accounts/users.service.js';
import { AdminTokenNeedsUserError } from './admin-token.errors.js';

export const ADMIN_SCOPE = 'auth:admin';

/** RFC 6749 §5.1 token response of an admin token: no refresh token, ever. */
export interface AdminTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: typeof ADMIN_SCOPE;
}

/**
 * The separate step that gives an admin user `auth:admin`: the user's own token (audience `auth`,
 * not exchanged; JwtAuthGuard and HopGuard have checked it) plus the password re-entered →
 * a token with `aud: ["auth"]`, scope `auth:admin` only, AUTH_ADMIN_TOKEN_TTL_S long, no refresh
 * token. A stolen login token alone is not enough (it never carries auth:admin, and this step needs
 * the password), and the admin token is never shown to any other service.
 */
@Injectable()
export class AdminTokenService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly passwords: UsersService,
    private readonly limiter: LoginLimiter,
    private readonly issuer: AccessTokenIssuer,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async issue(principal: Principal, password: string, address: string): Promise<AdminTokenResponse> {
    if (principal.isService) throw new AdminTokenNeedsUserError(principal.clientId);
    const user = await this.users.findOne({ where: { id: principal.sub } });
    if (!user || user.disabled) throw new InvalidCredentials();
    // Before the password: a user who could never get the scope learns nothing by guessing here.
    if (!user.extraScopes.includes(ADMIN_SCOPE))
      throw new InsufficientScopeError([ADMIN_SCOPE], `user ${user.id} does not hold ${ADMIN_SCOPE}`);
    // The same failure budgets as login (per account and per address), taken before argon2 runs,
    // so a stolen token can't make this a guessing oracle for the password.
    await this.limiter.takeAttempt(user.email, address);
    await this.passwords.authenticate(user.email, password);
    await this.limiter.recordSuccess(user.email, address);
    const access = await this.issuer.issue({
      sub: user.id,
      clientId: this.config.auth.userClientId,
      audience: [ADMIN_AUDIENCE],
      scope: ADMIN_SCOPE,
      ttlSeconds: this.config.auth.adminTokenTtlSeconds,
    });
    return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: ADMIN_SCOPE };
  }
}
