import passport from 'passport';
import type { RequestWithRawHeaders } from '../core/bearer-token.js';
import {
  type HttpRequestLine,
  NO_DPOP_REQUEST,
  type PresentedCredentials,
  credentialsFromRequest,
  dpopRequestOf,
  isDpopCredentials,
} from '../core/credentials.js';
import type { Principal } from '../core/claims.js';
import { type TokenErrorCode, TokenVerificationError } from '../core/errors.js';
import type { TokenVerifier } from '../core/token-verifier.js';
import { verifyInSpan } from '../core/verification-span.js';
import type { AuthenticatedRequest } from '../nest/current-principal.decorator.js';
import { InvalidTokenHttpError } from '../nest/http-errors.js';

/** The name the strategy registers under: `AuthGuard('authmesh')`. */
export const AUTHMESH_STRATEGY = 'authmesh';

/** passport's verify callback, as `@nestjs/passport`'s `PassportStrategy` supplies it (it calls `validate`). */
export type AuthmeshVerifyCallback = (principal: Principal, done: (err: unknown, user?: unknown, info?: unknown) => void) => void;

export interface AuthmeshPassportStrategyOptions {
  /** The app's verifier: `TokenVerifierModule` provides it (its rules, cache and revocation check). */
  readonly verifier: TokenVerifier;
  /** Called once per request with `ok` or the error code (the `token_verifications_total` metric). */
  readonly onOutcome?: (outcome: 'ok' | TokenErrorCode) => void;
}

/** What passport adds to the per-request copy of a strategy (`Object.create(strategy)`) before calling `authenticate`. */
interface PassportActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(err: unknown): void;
}

/**
 * A passport strategy over the core `TokenVerifier`: the very call `JwtAuthGuard` makes, so the
 * same rules, the same verified-token cache and the same revocation check, whichever of the two
 * guards a route uses. There is no second verification path to weaken.
 *
 * A refused token goes to passport's `error()`, not `fail()`: with the custom callback
 * `@nestjs/passport`'s `AuthGuard` always passes, `fail()` reaches the guard only as `(false,
 * challenge, status)`, which it turns into a bare `UnauthorizedException`, losing the stable code
 * and the RFC 6750 challenge. `error(InvalidTokenHttpError)` is rethrown as is and rendered by
 * platform's filter exactly as the global guard's refusal (401 + `WWW-Authenticate` + `code`).
 * With that custom callback passport never touches the response, so a FastifyRequest/FastifyReply
 * pair works as well as Express's.
 */
export class AuthmeshPassportStrategy extends passport.Strategy {
  override name = AUTHMESH_STRATEGY;

  constructor(
    private readonly options: AuthmeshPassportStrategyOptions,
    private readonly verify: AuthmeshVerifyCallback,
  ) {
    super();
  }

  override authenticate(request: RequestWithRawHeaders & AuthenticatedRequest & HttpRequestLine): void {
    // `this` is passport's per-request copy of the strategy, carrying success/fail/error.
    void this.run(this as unknown as PassportActions, request);
  }

  private async run(actions: PassportActions, request: RequestWithRawHeaders & AuthenticatedRequest & HttpRequestLine): Promise<void> {
    let principal: Principal;
    let credentials: PresentedCredentials | undefined;
    try {
      // The same rules as JwtAuthGuard: Bearer or DPoP (RFC 9449), a bound token never as Bearer.
      credentials = credentialsFromRequest(request);
      const presented = credentials;
      const verifier = this.options.verifier;
      ({ principal } = await verifyInSpan(verifier, () =>
        verifier.verifyPresented(presented, isDpopCredentials(presented) ? dpopRequestOf(request) : NO_DPOP_REQUEST),
      ));
    } catch (e) {
      if (!(e instanceof TokenVerificationError)) return actions.error(e); // e.g. the revocation store's 503, an AppError already
      this.options.onOutcome?.(e.code);
      return actions.error(new InvalidTokenHttpError(e, credentials !== undefined && typeof credentials !== 'string' ? 'dpop' : 'bearer'));
    }
    this.options.onOutcome?.('ok');
    const done = (err: unknown, user?: unknown, info?: unknown): void => {
      if (err) return actions.error(err);
      // passport's convention: no user means "not authenticated" (the app's own validate said no).
      if (!user) return actions.fail(info, 401);
      // For @CurrentPrincipal() and ScopesGuard, whatever `validate` made of it for `request.user`.
      request.principal = principal;
      actions.success(user, info);
    };
    try {
      this.verify(principal, done);
    } catch (e) {
      actions.error(e);
    }
  }
}
