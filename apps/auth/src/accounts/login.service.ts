import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@authmesh/platform';
import { RegistrationService } from './registration.service.js';
import { UnlockService } from './unlock.service.js';
import type { AuthConfig } from '../config/auth.config.js';
import { isPrivilegedScope } from '../tokens/privileged-scopes.js';
import { RefreshTokensService, type TokenPair } from '../tokens/refresh-tokens.service.js';
import { LoginLimiter } from './login-limiter.js';
import type { UserEntity } from './user.entity.js';
import { InvalidCredentials, UsersService, normaliseEmail } from './users.service.js';

/** RFC 6749 §5.1 token response. */
export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: `DPoP` when the access token is bound to the proof's key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

export function tokenResponse(pair: TokenPair): TokenResponse {
  return {
    access_token: pair.access.token,
    token_type: pair.access.tokenType,
    expires_in: pair.access.expiresIn,
    refresh_token: pair.refreshToken,
    scope: pair.scope,
  };
}

@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersService,
    private readonly limiter: LoginLimiter,
    private readonly refresh: RefreshTokensService,
    private readonly registration: RegistrationService,
    private readonly unlocks: UnlockService,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async logIn(email: string, password: string, address: string): Promise<TokenResponse> {
    const user = await this.checkPassword(email, password, address);
    const pair = await this.refresh.startFamily({ userId: user.id, clientId: this.config.auth.userClientId, ...this.grantFor(user) });
    return tokenResponse(pair);
  }

  /**
   * The one password check of every login (POST /auth/login and the hosted login page): the
   * guessing budgets, the uniform failure, the verified-address rule. Returns the user; throws
   * InvalidCredentials, TooManyLoginAttempts, EmailUnverified or HashingBusyError.
   */
  async checkPassword(email: string, password: string, address: string): Promise<UserEntity> {
    const key = normaliseEmail(email);
    // Busy hashing: refuse before a guessing budget is spent on an attempt that checks nothing.
    this.users.assertHashingCapacity();
    const pastCap = await this.limiter.takeAttempt(key, address, { pastCap: 'check' });
    if (pastCap) {
      // Only the account-wide cap is spent (a botnet keeps it so): the password is still checked
      // (this attempt spent the pair's budget like any guess) but the answer is the cap's 429
      // either way, so a guess past the cap learns nothing. A right one sends the account's
      // mailbox an unlock for this address (issue 12, finding 4: the owner at a new address).
      const user = await this.users.authenticate(key, password).catch((e: unknown) => {
        if (e instanceof InvalidCredentials) return undefined;
        throw e;
      });
      if (user) this.unlocks.offer(user, address);
      throw pastCap.refusal;
    }
    const user = await this.users.authenticate(key, password);
    await this.limiter.recordSuccess(key, address);
    await this.registration.requireVerified(user); // AUTH_EMAIL_VERIFICATION=required: only once the password was right
    return user;
  }

  /**
   * A login's scopes and audiences: the defaults plus the user's extra scopes, minus the privileged
   * ones (auth:admin): those come only from `POST /auth/admin-token`, in a short token for `auth` alone.
   */
  grantFor(user: UserEntity): { scope: string; audiences: string[] } {
    const scopes = [...new Set([...this.config.auth.userScopes, ...user.extraScopes])].filter((s) => !isPrivilegedScope(s));
    return { scope: scopes.join(' '), audiences: [...this.config.auth.userAudiences] };
  }
}
