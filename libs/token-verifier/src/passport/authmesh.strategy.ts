import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import type { Principal } from '../core/claims.js';
import { TokenVerifier } from '../core/token-verifier.js';
import { VerifierMetrics } from '../nest/verifier-metrics.js';
import { AUTHMESH_STRATEGY, AuthmeshPassportStrategy } from './authmesh-passport-strategy.js';

/** The live `AuthmeshStrategy` of this process (passport's strategy registry is one per process). */
let registered: AuthmeshStrategy | undefined;

/**
 * `AuthGuard('authmesh')` for `@nestjs/passport`: provide it next to `TokenVerifierModule` (with
 * `guard: false` if routes choose their guard with `@UseGuards`). `validate` receives the verified
 * principal; override it to map it to the app's own user object (it becomes `request.user`; the
 * principal stays on `request.principal` for `@CurrentPrincipal()` and `ScopesGuard`).
 *
 * passport keeps strategies by name in one process-wide registry, so a second app in the same
 * process registering `authmesh` would silently verify the first app's requests with its own
 * verifier (another issuer or audience). That is refused at start-up; the registration is removed
 * when the app closes.
 *
 * @example
 * @Module({
 *   imports: [TokenVerifierModule.forRoot({ ...config.verifier, guard: false })],
 *   providers: [AuthmeshStrategy],
 * })
 * export class AppModule {}
 *
 * @UseGuards(AuthGuard('authmesh'), ScopesGuard)
 * @Controller('things')
 * export class ThingsController {}
 */
@Injectable()
export class AuthmeshStrategy extends PassportStrategy(AuthmeshPassportStrategy, AUTHMESH_STRATEGY) implements OnModuleDestroy {
  constructor(verifier: TokenVerifier, metrics: VerifierMetrics) {
    super({ verifier, onOutcome: (outcome) => metrics.record(outcome) });
  }

  /** The principal as `request.user`; an app may return its own user object instead (or `false` to refuse). */
  validate(principal: Principal): unknown {
    return principal;
  }

  /** Called by `PassportStrategy`'s constructor to register the strategy: refuses a second live one. */
  getPassportInstance(): passport.PassportStatic {
    if (registered !== undefined && registered !== this) {
      throw new Error(
        `passport strategy "${AUTHMESH_STRATEGY}" is already registered by another app in this process: ` +
          "passport keeps one strategy per name per process, so this app would verify with the other app's verifier",
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the registry records which instance holds the name
    registered = this;
    return passport;
  }

  onModuleDestroy(): void {
    if (registered !== this) return;
    passport.unuse(AUTHMESH_STRATEGY);
    registered = undefined;
  }
}
