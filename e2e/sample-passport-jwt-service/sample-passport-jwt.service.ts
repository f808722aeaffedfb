import { type AppDefinition, type BaseConfig, EnvReader, PlatformModule, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, RevocationModule, readRevocationConfig } from '@authmesh/revocation';
import {
  JwksCache,
  type Principal,
  REVOCATION_CHECKER,
  type RevocationChecker,
  TokenVerifierModule,
  type VerifierConfig,
  readVerifierConfig,
} from '@authmesh/token-verifier';
import { authmeshJwtStrategyOptions, authmeshSecretOrKeyProvider, authmeshValidate } from '@authmesh/token-verifier/passport-jwt';
import { Controller, type DynamicModule, Get, Inject, Injectable, Module, Req, UseGuards } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';

const SAMPLE_RULES = Symbol('SAMPLE_RULES');
interface SampleRules {
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds: number;
}

/**
 * A service written the way the Nest docs show (`JwtStrategy extends PassportStrategy(Strategy)`,
 * `@UseGuards(AuthGuard('jwt'))`), keeping passport-jwt but taking its keys from authmesh's
 * JWKS cache and its `validate` from authmesh's revocation check. Test-only: it shows what that
 * path accepts that `JwtAuthGuard` and `AuthGuard('authmesh')` refuse (e2e/hostile-tokens).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly check: (payload: unknown) => Promise<Principal>;

  constructor(jwks: JwksCache, @Inject(REVOCATION_CHECKER) revocation: RevocationChecker, @Inject(SAMPLE_RULES) rules: SampleRules) {
    super({
      ...authmeshJwtStrategyOptions(rules),
      secretOrKeyProvider: authmeshSecretOrKeyProvider(jwks, { revocation, issuer: rules.issuer }),
    });
    this.check = authmeshValidate(revocation);
  }

  validate(payload: unknown): Promise<Principal> {
    return this.check(payload);
  }
}

@UseGuards(AuthGuard('jwt'))
@Controller('whoami')
class WhoamiController {
  @Get()
  whoami(@Req() request: { user: Principal }): Principal {
    return request.user;
  }
}

export interface SampleConfig extends BaseConfig {
  verifier: VerifierConfig;
  revocation: RevocationConfig;
}

@Module({})
class SampleModule {
  static forRoot(config: SampleConfig): DynamicModule {
    return {
      module: SampleModule,
      imports: [
        PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
        // For its JWKS cache (with readiness and metrics) and the revocation mirror; no guard of ours.
        TokenVerifierModule.forRoot({
          ...config.verifier,
          ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
          guard: false,
        }),
      ],
      controllers: [WhoamiController],
      providers: [JwtStrategy, { provide: SAMPLE_RULES, useValue: config.verifier }],
    };
  }
}

/** Boots like any app (`newTestApp(samplePassportJwtService, env)`); audience `orders`, as the name. */
export const samplePassportJwtService: AppDefinition<SampleConfig> = {
  name: 'orders',
  loadConfig: (env) => {
    const reader = new EnvReader(env);
    const base = readBaseConfig('orders', reader, env);
    const verifier = readVerifierConfig(reader, 'orders');
    const revocation = readRevocationConfig(reader);
    const parts = reader.finish('orders', { base, verifier, revocation });
    return { ...parts.base, verifier: parts.verifier, revocation: parts.revocation };
  },
  rootModule: (config) => SampleModule.forRoot(config),
};
