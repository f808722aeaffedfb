import { Injectable } from '@nestjs/common';
import { InvalidTokenHttpError, type Principal, TokenRevokedError } from '@authmesh/token-verifier';
import { LoginLimiter } from './login-limiter.js';
import { InvalidCredentials } from './users.service.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';

/**
 * A password re-entered with an access token (`POST /auth/password`, `POST /auth/admin-token`)
 * is a guess made by whoever holds that token. Each token gets AUTH_PASSWORD_MAX_FAILURES_PER_TOKEN
 * wrong passwords, taken before the check (parallel guesses count too); the one that spends the
 * last revokes the token: whoever holds it is guessing, and the owner can log in again. A right
 * password, or a refusal for another reason (429, a bad new password), gives the allowance back.
 */
@Injectable()
export class PresentedTokenGuesses {
  constructor(
    private readonly limiter: LoginLimiter,
    private readonly revoker: SessionRevoker,
  ) {}

  /** Runs `check` (which throws InvalidCredentials for a wrong password) under the token's allowance. */
  async guard<T>(principal: Principal, check: () => Promise<T>): Promise<T> {
    const expiresAt = new Date(principal.expiresAt);
    const left = await this.limiter.takeTokenAttempt(principal.tokenId);
    if (left < 0) {
      // Spent already (a parallel guess, or the revocation has not reached this verifier yet).
      await this.revoker.revokeAccessToken(principal.tokenId, expiresAt);
      throw new InvalidTokenHttpError(new TokenRevokedError('wrong passwords spent on this token'));
    }
    let result: T;
    try {
      result = await check();
    } catch (e) {
      if (!(e instanceof InvalidCredentials)) await this.limiter.cancelTokenAttempt(principal.tokenId);
      else if (left === 0) await this.revoker.revokeAccessToken(principal.tokenId, expiresAt);
      throw e;
    }
    // A right password is no guess: the allowance is given back (the admin step may be taken again).
    await this.limiter.cancelTokenAttempt(principal.tokenId);
    return result;
  }
}
