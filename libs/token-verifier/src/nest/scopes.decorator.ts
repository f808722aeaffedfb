import { SCOPE_TOKEN_PATTERN } from '@authmesh/contracts';
import { SetMetadata } from '@nestjs/common';

export const SCOPES_KEY = 'authmesh:scopes';

/**
 * Requires every one of `scopes` in the caller's token; otherwise 403 `insufficient_scope`.
 * Enforced by the global JwtAuthGuard right after authentication (one guard, so the order of
 * "who are you" and "may you" can never be swapped). Ignored on `@Public()` routes.
 *
 * @example
 * @Scopes('orders:read')
 * @Get(':id')
 * findOne(@CurrentPrincipal() principal: Principal) { … }
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator => {
  for (const scope of scopes) if (!SCOPE_TOKEN_PATTERN.test(scope)) throw new Error(`@Scopes(): "${scope}" is not a valid scope token`);
  return SetMetadata(SCOPES_KEY, Object.freeze([...scopes]));
};
