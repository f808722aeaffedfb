import { MetricsService, ReadinessRegistry } from '@authmesh/platform';
import {
  type ClassProvider,
  type DynamicModule,
  type ExistingProvider,
  type FactoryProvider,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
  type ValueProvider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { VerifierConfig } from '../config/verifier-config.js';
import { JwksCache } from '../core/jwks/jwks-cache.js';
import { noRevocationChecker, type RevocationChecker } from '../core/revocation.js';
import { TokenVerifier } from '../core/token-verifier.js';
import { REVOCATION_CHECKER, TOKEN_VERIFIER_OPTIONS } from './injection-tokens.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { VerifierMetrics } from './verifier-metrics.js';

/** How the RevocationChecker is provided (the revocation lib passes its own). */
export type RevocationCheckerProvider =
  | Omit<ClassProvider<RevocationChecker>, 'provide'>
  | Omit<ValueProvider<RevocationChecker>, 'provide'>
  | Omit<FactoryProvider<RevocationChecker>, 'provide'>
  | Omit<ExistingProvider<RevocationChecker>, 'provide'>;

/** `VerifierConfig` (what `readVerifierConfig` returns) plus what only code sets. */
export interface TokenVerifierModuleOptions extends VerifierConfig {
  /** Default: nothing is revoked. */
  readonly revocation?: RevocationCheckerProvider;
  /** Modules the revocation provider needs. */
  readonly imports?: DynamicModule['imports'];
  /** Verified-token cache size (default 10 000; 0 disables it). */
  readonly verifiedCacheMaxEntries?: number;
  /** How long start-up waits for the first JWKS before listening anyway (default: the fetch timeout). */
  readonly startupWaitMs?: number;
  /** The clock (ms since the epoch), for tests. */
  readonly now?: () => number;
}

/** Starts the JWKS cache with the app, reports it to /health/ready, stops it on shutdown. */
class JwksLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: Logger;

  constructor(
    private readonly jwks: JwksCache,
    private readonly readiness: ReadinessRegistry,
    private readonly options: TokenVerifierModuleOptions,
  ) {
    this.logger = new Logger(`TokenVerifier(${options.audience})`);
  }

  async onModuleInit(): Promise<void> {
    this.readiness.register('jwks', async () => {
      const status = this.jwks.status();
      const details = {
        keys: status.kids.length,
        ageSeconds: Number.isFinite(status.ageSeconds) ? Math.round(status.ageSeconds) : null,
        maxStalenessSeconds: this.options.jwksMaxStalenessSeconds,
        lastResult: status.lastResult ?? null,
        ...(status.lastError ? { lastError: status.lastError } : {}),
      };
      if (!status.usable) {
        throw new Error(
          status.lastSuccessAt === undefined
            ? `no JWKS loaded yet from ${this.options.jwksUri} (${status.lastError ?? 'fetching'})`
            : `JWKS is ${Math.round(status.ageSeconds)}s old, beyond the ${this.options.jwksMaxStalenessSeconds}s bound (${status.lastError ?? ''})`,
        );
      }
      // Usable but failing to refresh: still ready (we keep verifying through an auth outage),
      // and the details say so.
      return status.consecutiveFailures > 0 ? { ...details, degraded: true } : details;
    });
    // The service starts even when auth is down: it is not ready until keys arrive, and the cache
    // keeps retrying with backoff. Waiting briefly here makes the common case ready at once.
    const wait = this.options.startupWaitMs ?? this.options.jwksFetchTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.jwks.start(),
      new Promise<'pending'>((resolve) => {
        timer = setTimeout(() => resolve('pending'), wait);
      }),
    ]).finally(() => clearTimeout(timer));
    const status = this.jwks.status();
    if (status.usable) this.logger.log(`JWKS loaded from ${this.options.jwksUri}: ${status.kids.length} key(s)`);
    else this.logger.warn(`JWKS not available yet from ${this.options.jwksUri} (${result}); not ready until it is, retrying`);
  }

  onApplicationShutdown(): void {
    this.jwks.stop();
  }
}

/**
 * Local verification of bearer tokens for a service (README, "Token verification in every service"): the JWKS cache, the
 * verifier, a global guard that protects every route unless `@Public()`, `@Scopes()`,
 * `@CurrentPrincipal()`, metrics on the app's registry and a `jwks` readiness check. Needs
 * platform's `PlatformModule` (MetricsService, ReadinessRegistry) in the same app.
 *
 * @example
 * imports: [PlatformModule.forRoot({ config, database }), TokenVerifierModule.forRoot(config.verifier)],
 * controllers: [WhoamiController],
 */
@Module({})
export class TokenVerifierModule {
  static forRoot(options: TokenVerifierModuleOptions): DynamicModule {
    const revocation: Provider = options.revocation
      ? ({ ...options.revocation, provide: REVOCATION_CHECKER } as Provider)
      : { provide: REVOCATION_CHECKER, useValue: noRevocationChecker };
    return {
      module: TokenVerifierModule,
      imports: options.imports ?? [],
      providers: [
        { provide: TOKEN_VERIFIER_OPTIONS, useValue: options },
        revocation,
        {
          provide: JwksCache,
          useFactory: () => {
            // The audience in the context: in `npm start` every service shares Nest's process-wide logger.
            const logger = new Logger(`JwksCache(${options.audience})`);
            return new JwksCache({
              jwksUri: options.jwksUri,
              fetchTimeoutMs: options.jwksFetchTimeoutMs,
              cooldownMs: options.jwksCooldownSeconds * 1000,
              maxStalenessMs: options.jwksMaxStalenessSeconds * 1000,
              now: options.now,
              logger: { warn: (m) => logger.warn(m), info: (m) => logger.log(m) },
            });
          },
        },
        {
          provide: TokenVerifier,
          useFactory: (jwks: JwksCache, revocationChecker: RevocationChecker) =>
            new TokenVerifier({
              issuer: options.issuer,
              audience: options.audience,
              keys: jwks,
              clockToleranceSeconds: options.clockToleranceSeconds,
              maxTokenBytes: options.maxTokenBytes,
              verifiedCacheMaxEntries: options.verifiedCacheMaxEntries,
              revocation: revocationChecker,
              now: options.now,
            }),
          inject: [JwksCache, REVOCATION_CHECKER],
        },
        {
          provide: VerifierMetrics,
          useFactory: (metrics: MetricsService, jwks: JwksCache, verifier: TokenVerifier) => new VerifierMetrics(metrics, jwks, verifier),
          inject: [MetricsService, JwksCache, TokenVerifier],
        },
        {
          provide: JwksLifecycle,
          useFactory: (jwks: JwksCache, readiness: ReadinessRegistry) => new JwksLifecycle(jwks, readiness, options),
          inject: [JwksCache, ReadinessRegistry],
        },
        { provide: APP_GUARD, useClass: JwtAuthGuard },
      ],
      exports: [TokenVerifier, JwksCache, TOKEN_VERIFIER_OPTIONS],
    };
  }
}
