import { MetricsService, ReadinessRegistry, RedisConnection } from '@authmesh/platform';
import {
  type ClassProvider,
  type DynamicModule,
  type ExistingProvider,
  type FactoryProvider,
  Logger,
  Module,
  type Provider,
  type ValueProvider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { VerifierConfig } from '../config/verifier-config.js';
import { DpopBinding } from '../core/dpop-binding.js';
import { DpopReplayGuard } from '../core/dpop-replay.js';
import { JwksCache } from '../core/jwks/jwks-cache.js';
import { noRevocationChecker, type RevocationChecker } from '../core/revocation.js';
import { type KeySource, TokenVerifier } from '../core/token-verifier.js';
import { KEY_SOURCE, REVOCATION_CHECKER, TOKEN_VERIFIER_OPTIONS } from './injection-tokens.js';
import { JwksLifecycle, type ManagedKeySource } from './jwks-lifecycle.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { RedisReplayStore } from './redis-replay-store.js';
import { TokenVerifiers } from './token-verifiers.js';
import { VerifierMetrics } from './verifier-metrics.js';

/** A Nest provider of `T` without its `provide` (the module supplies the token). */
export type ProviderOf<T> =
  | Omit<ClassProvider<T>, 'provide'>
  | Omit<ValueProvider<T>, 'provide'>
  | Omit<FactoryProvider<T>, 'provide'>
  | Omit<ExistingProvider<T>, 'provide'>;

/** How the RevocationChecker is provided (the revocation lib passes its own). */
export type RevocationCheckerProvider = ProviderOf<RevocationChecker>;

/** What every consumer sets, whatever its keys come from. */
interface CommonOptions {
  /**
   * The audiences to build a verifier for (the gateway's edge: one per routed service). Default:
   * `[audience]`. `audience` is always among them: it is the verifier `TokenVerifier` resolves to,
   * that the guard uses and the metrics read.
   */
  readonly audiences?: readonly string[];
  /** Logger context of the key source and its lifecycle (default: `audience`). */
  readonly name?: string;
  /** Register `JwtAuthGuard` as the global guard (default true; false where routes are not Nest's, as at the gateway). */
  readonly guard?: boolean;
  /** Default: nothing is revoked. */
  readonly revocation?: RevocationCheckerProvider;
  /** Modules the revocation (or key source) provider needs. */
  readonly imports?: DynamicModule['imports'];
  /** Verified-token cache size (default 10 000; 0 disables it). */
  readonly verifiedCacheMaxEntries?: number;
  /** How long start-up waits for the first JWKS before listening anyway (default: the fetch timeout). */
  readonly startupWaitMs?: number;
  /** The clock (ms since the epoch), for tests. */
  readonly now?: () => number;
}

/** Keys from the issuer's JWKS: `VerifierConfig` (what `readVerifierConfig` returns) plus what only code sets. */
export interface JwksKeysOptions extends VerifierConfig, CommonOptions {
  readonly keys?: undefined;
}

/**
 * Keys from a source of the app's own (auth verifies its tokens against its keyring). A source
 * that also has `status()` (and optionally `start()`/`stop()`: `ManagedKeySource`) is reported
 * as the `jwks` readiness check like a JWKS cache is.
 */
export interface CustomKeysOptions extends Pick<VerifierConfig, 'issuer' | 'audience' | 'clockToleranceSeconds'>, CommonOptions {
  readonly keys: ProviderOf<KeySource>;
  /** JWT_MAX_TOKEN_BYTES (default 8192). */
  readonly maxTokenBytes?: number;
  /**
   * DPoP (RFC 9449): the origins a proof's `htu` may name here (JWT_DPOP_ORIGINS; the gateway's
   * edge passes its public origins). Default none: every DPoP request is refused.
   */
  readonly dpopOrigins?: readonly string[];
  /** JWT_DPOP_IAT_WINDOW_S (default 60). */
  readonly dpopIatWindowSeconds?: number;
  /** JWT_DPOP_REPLAY_CACHE_MAX (default 100 000). */
  readonly dpopReplayCacheMaxEntries?: number;
  /** JWT_DPOP_REPLAY_OUTAGE_POLICY (default `reject`). */
  readonly dpopReplayOutagePolicy?: 'reject' | 'local';
}

export type TokenVerifierModuleOptions = JwksKeysOptions | CustomKeysOptions;

/** Where the lifecycle says the keys come from, and its logger context. */
const nameOf = (options: TokenVerifierModuleOptions): string => options.name ?? options.audience;

/**
 * Local verification of bearer tokens for a service (docs/architecture.md, "Token verification in every service"): the key source
 * (the JWKS cache, or `keys`), one verifier per audience, a global guard that protects every route
 * unless `@Public()`, `@Scopes()`, `@CurrentPrincipal()`, metrics on the app's registry and the
 * `jwks` readiness check with its start/stop (`JwksLifecycle`). Needs platform's `PlatformModule`
 * (MetricsService, ReadinessRegistry) in the same app.
 *
 * @example
 * // A service: its own audience, keys from the JWKS.
 * imports: [PlatformModule.forRoot({ config, database }), TokenVerifierModule.forRoot(config.verifier)],
 * controllers: [WhoamiController],
 * // The gateway's edge: one verifier per routed audience, no global guard.
 * TokenVerifierModule.forRoot({ ...config.verifier, audience: 'orders', audiences: ['auth', 'orders', 'profiles'], guard: false })
 * // Auth: keys from its keyring, provided in the module that holds the keyring.
 * providers: [KeyringKeySource, ...TokenVerifierModule.providers({ issuer, audience: 'auth', clockToleranceSeconds, keys: { useExisting: KeyringKeySource } })]
 */
@Module({})
export class TokenVerifierModule {
  static forRoot(options: TokenVerifierModuleOptions): DynamicModule {
    return {
      module: TokenVerifierModule,
      imports: options.imports ?? [],
      providers: TokenVerifierModule.providers(options),
      exports: [
        TokenVerifier,
        TokenVerifiers,
        VerifierMetrics,
        JwksLifecycle,
        KEY_SOURCE,
        // For adapters that verify elsewhere but must run the same revocation check (passport-jwt's validate).
        REVOCATION_CHECKER,
        TOKEN_VERIFIER_OPTIONS,
        DpopBinding,
        ...(options.keys ? [] : [JwksCache]),
      ],
    };
  }

  /**
   * The module's providers, to register in a module of the app itself: for a key source that
   * lives there (auth's `KeyringKeySource` needs auth's keyring, which an imported module cannot
   * see). `imports` is then the caller's to add.
   */
  static providers(options: TokenVerifierModuleOptions): Provider[] {
    const name = nameOf(options);
    const audiences = [...new Set([options.audience, ...(options.audiences ?? [])])];
    const revocation: Provider = options.revocation
      ? ({ ...options.revocation, provide: REVOCATION_CHECKER } as Provider)
      : { provide: REVOCATION_CHECKER, useValue: noRevocationChecker };
    const keys: Provider[] = options.keys
      ? [{ ...options.keys, provide: KEY_SOURCE } as Provider]
      : [jwksCacheProvider(options, name), { provide: KEY_SOURCE, useExisting: JwksCache }];
    return [
      { provide: TOKEN_VERIFIER_OPTIONS, useValue: options },
      revocation,
      ...keys,
      {
        provide: DpopBinding,
        useFactory: (redis: RedisConnection | undefined) => dpopBinding(options, redis),
        // Optional: a host without Redis (a unit test's module) gets the local replay cache alone.
        inject: [{ token: RedisConnection, optional: true }],
      },
      {
        provide: TokenVerifiers,
        useFactory: (keySource: KeySource, revocationChecker: RevocationChecker, dpop: DpopBinding) =>
          new TokenVerifiers(
            new Map(
              audiences.map((audience) => [
                audience,
                new TokenVerifier({
                  issuer: options.issuer,
                  audience,
                  keys: keySource,
                  clockToleranceSeconds: options.clockToleranceSeconds,
                  maxTokenBytes: options.maxTokenBytes,
                  verifiedCacheMaxEntries: options.verifiedCacheMaxEntries,
                  revocation: revocationChecker,
                  now: options.now,
                  dpop,
                }),
              ]),
            ),
          ),
        inject: [KEY_SOURCE, REVOCATION_CHECKER, DpopBinding],
      },
      { provide: TokenVerifier, useFactory: (verifiers: TokenVerifiers) => verifiers.for(options.audience), inject: [TokenVerifiers] },
      {
        provide: VerifierMetrics,
        useFactory: (metrics: MetricsService, keySource: KeySource, verifier: TokenVerifier) =>
          // JWKS fetch metrics only where there is a JWKS cache (auth verifies against its own keyring).
          new VerifierMetrics(metrics, keySource instanceof JwksCache ? keySource : undefined, verifier),
        inject: [MetricsService, KEY_SOURCE, TokenVerifier],
      },
      {
        provide: JwksLifecycle,
        useFactory: (keySource: KeySource & Partial<ManagedKeySource>, readiness: ReadinessRegistry) =>
          new JwksLifecycle(keySource, readiness, {
            name,
            origin: options.keys ? `${name}'s own key source` : options.jwksUri,
            startupWaitMs: options.startupWaitMs ?? (options.keys ? 0 : options.jwksFetchTimeoutMs),
            maxStalenessSeconds: options.keys ? null : options.jwksMaxStalenessSeconds,
          }),
        inject: [KEY_SOURCE, ReadinessRegistry],
      },
      ...(options.guard === false ? [] : [{ provide: APP_GUARD, useClass: JwtAuthGuard }]),
    ];
  }
}

/**
 * One DPoP binding for every audience of the module, over one replay guard: the local cache, and
 * the shared check on the app's Redis connection (none in memory mode: one process, the local
 * cache is the whole truth). docs/decisions/010-dpop-gateway-and-replay.md.
 */
function dpopBinding(options: TokenVerifierModuleOptions, redis: RedisConnection | undefined): DpopBinding {
  const logger = new Logger(`Dpop(${nameOf(options)})`);
  let lastWarn = 0;
  const replay = new DpopReplayGuard({
    shared: redis?.client ? new RedisReplayStore(redis.client) : undefined,
    maxEntries: options.dpopReplayCacheMaxEntries,
    outagePolicy: options.dpopReplayOutagePolicy,
    onSharedFailure: (e) => {
      const now = Date.now();
      if (now - lastWarn < 10_000) return;
      lastWarn = now;
      logger.error(
        `shared DPoP replay check failed, accepting on the local cache alone (JWT_DPOP_REPLAY_OUTAGE_POLICY=local): ${e instanceof Error ? e.message : String(e)}`,
      );
    },
    now: options.now,
  });
  return new DpopBinding({
    origins: options.dpopOrigins ?? [],
    iatWindowSeconds: options.dpopIatWindowSeconds,
    clockToleranceSeconds: options.clockToleranceSeconds,
    replay,
    now: options.now,
  });
}

function jwksCacheProvider(options: JwksKeysOptions, name: string): Provider {
  return {
    provide: JwksCache,
    useFactory: () => {
      // The name in the context: in `npm start` every service shares Nest's process-wide logger.
      const logger = new Logger(`JwksCache(${name})`);
      return new JwksCache({
        jwksUri: options.jwksUri,
        fetchTimeoutMs: options.jwksFetchTimeoutMs,
        cooldownMs: options.jwksCooldownSeconds * 1000,
        maxStalenessMs: options.jwksMaxStalenessSeconds * 1000,
        now: options.now,
        logger: { warn: (m) => logger.warn(m), info: (m) => logger.log(m) },
      });
    },
  };
}
