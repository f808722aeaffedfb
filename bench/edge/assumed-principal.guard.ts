import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest, Principal } from '@authmesh/token-verifier';
import { BENCH_SUBJECT } from './bench-issuer.js';

/** The principal the bench's tokens carry (the jti and expiry are fixed stand-ins of the same length). */
const ASSUMED: Principal = Object.freeze({
  sub: BENCH_SUBJECT.sub,
  clientId: BENCH_SUBJECT.clientId,
  scopes: [...BENCH_SUBJECT.scopes],
  audience: ['orders'],
  tokenId: '00000000-0000-4000-8000-000000000000',
  expiresAt: '2099-01-01T00:00:00.000Z',
  isService: false,
});

/**
 * Bench only, for the "authentication off" row of `bench:edge`: takes the place of JwtAuthGuard
 * (the same APP_GUARD slot, so Nest runs the same guard pipeline) and hands WhoamiController the
 * principal a valid token would give, without reading the request. The difference between this
 * row and orders' is therefore JwtAuthGuard itself: the header scan, verification (or its cache)
 * and the revocation check. Never imported by an app.
 */
@Injectable()
export class AssumedPrincipalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    context.switchToHttp().getRequest<AuthenticatedRequest>().principal = ASSUMED;
    return true;
  }
}
