import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from '../core/claims.js';
import type { AuthenticatedRequest } from './current-principal.decorator.js';
import { InsufficientScopeError } from './http-errors.js';
import { SCOPES_KEY } from './scopes.decorator.js';

/**
 * Throws 403 `insufficient_scope` unless `principal` holds every scope the route's (or its
 * controller's) `@Scopes()` requires. One function for every guard that authenticates
 * (`JwtAuthGuard`, `AuthmeshAuthGuard`, `ScopesGuard`), so the rule reads the same everywhere.
 */
export function assertScopes(reflector: Reflector, context: ExecutionContext, principal: Principal): void {
  const required = reflector.getAllAndOverride<readonly string[] | undefined>(SCOPES_KEY, [context.getHandler(), context.getClass()]);
  if (required === undefined || required.length === 0) return;
  const missing = required.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) throw new InsufficientScopeError(required, `token of ${principal.clientId} lacks ${missing.join(' ')}`);
}

/**
 * `@Scopes()` for routes guarded by something other than the global `JwtAuthGuard`, placed after
 * the guard that authenticates: `@UseGuards(AuthGuard('authmesh'), ScopesGuard)`. Nest runs
 * `@UseGuards` guards in order, so the principal is there. A route without a principal is a wiring
 * bug (ScopesGuard listed without, or before, the authenticating guard), refused rather than let through.
 *
 * @example
 * @UseGuards(AuthGuard('authmesh'), ScopesGuard)
 * @Scopes('profiles:read')
 * @Get('me')
 * me(@CurrentPrincipal() principal: Principal) { … }
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Error('ScopesGuard ran without an authenticated principal: list it after the guard that authenticates');
    assertScopes(this.reflector, context, principal);
    return true;
  }
}
