import { IS_PUBLIC_KEY } from '@authmesh/platform';
import { type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, AuthModuleOptions } from '@nestjs/passport';
import type { AuthenticatedRequest } from '../nest/current-principal.decorator.js';
import { assertScopes } from '../nest/scopes.guard.js';
import { AUTHMESH_STRATEGY } from './authmesh-passport-strategy.js';

/**
 * `AuthGuard('authmesh')` as the app's global guard (`APP_GUARD`), the way the Nest docs enable
 * authentication globally: every route needs a token unless `@Public()`, then its `@Scopes()`.
 * What `JwtAuthGuard` does, with passport (and `PassportModule.register(...)`'s options) in the
 * middle; profiles runs on it.
 *
 * @example
 * providers: [AuthmeshStrategy, { provide: APP_GUARD, useClass: AuthmeshAuthGuard }]
 */
@Injectable()
export class AuthmeshAuthGuard extends AuthGuard(AUTHMESH_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    @Optional() options?: AuthModuleOptions,
  ) {
    super(options);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    await super.canActivate(context);
    const { principal } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    // The strategy sets it whenever passport reports success; its absence would be a bug, not a pass.
    if (!principal) return false;
    assertScopes(this.reflector, context, principal);
    return true;
  }
}
