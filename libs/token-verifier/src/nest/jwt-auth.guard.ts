import { IS_PUBLIC_KEY } from '@authmesh/platform';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { RequestWithRawHeaders } from '../core/bearer-token.js';
import {
  type HttpRequestLine,
  NO_DPOP_REQUEST,
  type PresentedCredentials,
  credentialsFromRequest,
  dpopRequestOf,
  isDpopCredentials,
} from '../core/credentials.js';
import { TokenVerificationError } from '../core/errors.js';
import { TokenVerifier } from '../core/token-verifier.js';
import { AUDIENCE_KEY } from './audience.decorator.js';
import { verifyInSpan } from '../core/verification-span.js';
import type { AuthenticatedRequest } from './current-principal.decorator.js';
import { InvalidTokenHttpError } from './http-errors.js';
import { assertScopes } from './scopes.guard.js';
import { TokenVerifiers } from './token-verifiers.js';
import { VerifierMetrics } from './verifier-metrics.js';

/**
 * The global guard (APP_GUARD): every route requires a valid bearer token unless marked
 * `@Public()` (nestjs/nest `sample/19-auth-jwt`), then the route's `@Scopes()`.
 *
 * Why a guard calling the core rather than `@nestjs/passport` + `passport-jwt`: passport-jwt
 * hands the token to `jsonwebtoken.verify`, which cannot check the `typ` header (RFC 9068 §4, the
 * check that stops an ID token being replayed as an access token), ignores `crit`, has no length
 * cap before parsing, collapses every failure into a message string (no stable codes for the 401
 * body), re-runs RSA for a token it verified a moment ago, and passport-jwt reads only the first of
 * two Authorization headers. Speed (`npm run bench:verify`): jsonwebtoken given a PEM per call, as
 * the usual passport-jwt + jwks-rsa setup does, runs at ~10-15 % of a bare `crypto.verify`; given a
 * KeyObject, ~70-80 %, under this 80 % target and still without the rules above. So the
 * rules live in the framework-free core, and this guard calls it; `AuthmeshStrategy`
 * (`AuthGuard('authmesh')`, src/passport/) makes the same call for apps that use `@nestjs/passport`.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly verifiers: TokenVerifiers,
    private readonly metrics: VerifierMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest & RequestWithRawHeaders & HttpRequestLine>();
    // A route marked @RouteAudience() is judged for that audience (auth's userinfo), every other for the app's own.
    const audience = this.reflector.getAllAndOverride<string | undefined>(AUDIENCE_KEY, [context.getHandler(), context.getClass()]);
    const verifier = audience === undefined ? this.verifier : this.verifiers.for(audience);
    let principal;
    let credentials: PresentedCredentials | undefined;
    try {
      credentials = credentialsFromRequest(request);
      const presented = credentials;
      ({ principal } = await verifyInSpan(verifier, () =>
        verifier.verifyPresented(presented, isDpopCredentials(presented) ? dpopRequestOf(request) : NO_DPOP_REQUEST),
      ));
    } catch (e) {
      if (e instanceof TokenVerificationError) {
        this.metrics.record(e.code);
        throw new InvalidTokenHttpError(e, credentials !== undefined && typeof credentials !== 'string' ? 'dpop' : 'bearer');
      }
      // A revocation store's own failure (e.g. fail-closed while Redis is down) is its AppError.
      throw e;
    }
    this.metrics.record('ok');
    request.principal = principal;
    assertScopes(this.reflector, context, principal);
    return true;
  }
}
