import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { Principal } from '../core/claims.js';

/** Where JwtAuthGuard leaves the principal on the request. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

/**
 * The caller, as derived from its verified token: `{ sub, clientId, scopes, audience, tokenId,
 * expiresAt, isService, actor? }` (`actor`: the client acting for `sub` in an exchanged token,
 * RFC 8693 `act.sub`, e.g. `gateway`). Only on authenticated routes (not `@Public()` ones).
 *
 * @example
 * @Get('whoami')
 * whoami(@CurrentPrincipal() principal: Principal): Principal { return principal; }
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('@CurrentPrincipal() used on a route without an authenticated principal (is it @Public()?)');
  return principal;
});
