import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type AuthenticatedRequest, SCOPES_KEY } from '@authmesh/token-verifier';
import { AdminTokenRequiredError, ExchangedTokenRefusedError } from './hop.errors.js';
import { isPrivilegedScope } from './privileged-scopes.js';

/** The audience an admin token names, alone. */
export const ADMIN_AUDIENCE = 'auth';

/**
 * Auth's second global guard, after JwtAuthGuard has verified the token (audience `auth`) and the
 * route's scopes: a token that crosses a hop is good for that hop only.
 *
 * - An exchanged token (`act`, RFC 8693 §4.1) is refused on every authenticated route of auth
 *   (logout, logout-all, password, admin-token, admin API): 401 `exchanged_token_refused`. The
 *   gateway exchanges tokens for one backend each; none of them may act on the user's account.
 * - A route requiring a privileged scope (auth:admin) takes only a token whose `aud` is exactly
 *   `auth`: 403 `admin_token_required` otherwise. A token naming `orders` as well may have been
 *   shown to orders (or its logs), so it can't be the key to the admin API.
 */
@Injectable()
export class HopGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (principal === undefined) return true; // @Public() route: nothing was verified
    if (principal.actor !== undefined)
      throw new ExchangedTokenRefusedError(`token of ${principal.sub} exchanged by ${principal.actor} (client ${principal.clientId})`);
    const required = this.reflector.getAllAndOverride<readonly string[] | undefined>(SCOPES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required?.some(isPrivilegedScope) && !(principal.audience.length === 1 && principal.audience[0] === ADMIN_AUDIENCE)) {
      throw new AdminTokenRequiredError(required, `token of ${principal.clientId} has audience ${principal.audience.join(' ')}`);
    }
    return true;
  }
}
