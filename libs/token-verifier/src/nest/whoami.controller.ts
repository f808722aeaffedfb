import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { Principal } from '../core/claims.js';
import { CurrentPrincipal } from './current-principal.decorator.js';

/**
 * `GET /whoami`: the principal this service derived from the caller's token (with `actor` when the
 * token came from a token exchange), with no I/O beyond
 * verification. What operators use to debug a token and benchmarks use to measure verification
 * over HTTP. Apps opt in by listing it in their module's controllers.
 */
@Controller('whoami')
export class WhoamiController {
  @Get()
  @ApiOperation({ summary: "The principal this service derived from the caller's token (debugging, benchmarks)" })
  @ApiOkResponse({
    description: 'The Principal: sub, clientId, scopes, audience, tokenId, expiresAt, isService, and actor for an exchanged token.',
  })
  whoami(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}
