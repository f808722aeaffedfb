import { MetricsService, ReadinessRegistry, RedisConnection } from '@authmesh/platform';
import type { TokenVerifierModuleOptions } from '@authmesh/token-verifier';
import { type DynamicModule, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { RevocationConfig } from '../config/revocation-config.js';
import { MemoryMirrorFeed } from '../core/memory-mirror-feed.js';
import { sharedMemoryRevocationBackend } from '../core/memory-revocation-store.js';
import { MirrorRevocationChecker } from '../core/mirror-revocation-checker.js';
import { RedisMirrorFeed } from '../core/redis-mirror-feed.js';
import type { RevocationFeed, RevocationFeedStatus, RevocationLogger } from '../core/revocation-feed.js';
import { RevocationMirror } from '../core/revocation-mirror.js';
import { RevocationMetrics } from './revocation-metrics.js';

/** `RevocationConfig` (what `readRevocationConfig` returns) plus what only code sets. */
export interface RevocationModuleOptions extends RevocationConfig {
  /** The verifier's clock tolerance (JWT_CLOCK_TOLERANCE_S): revoked jtis are kept until exp + this. */
  readonly clockToleranceSeconds: number;
  /** Namespace of the keys; must match auth's store (default none). Tests use it to stay apart. */
  readonly keyPrefix?: string;
  /** How long start-up waits for the first sync before listening anyway (default 2000 ms). */
  readonly startupWaitMs?: number;
  /** How long each XREAD on the event stream blocks: the heartbeat (default 1000 ms, or a quarter of the staleness bound if that is shorter). */
  readonly heartbeatMs?: number;
  /** The clock (ms since the epoch), for tests. */
  readonly now?: () => number;
}

/** Injection token of the feed that keeps the mirror current. */
export const REVOCATION_FEED = Symbol('REVOCATION_FEED');

function nestLogger(context: string): RevocationLogger {
  const logger = new Logger(context);
  return { info: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
}

/** Why a feed is not synced, in the words readiness and the start-up log use. */
function whyNotSynced(feed: RevocationFeedStatus, otherwise = 'reconnecting'): string {
  // Waiting for auth's seed is not an error: say so rather than show an old connection error.
  if (feed.awaitingSeed) return 'revocation data is being re-seeded by auth';
  return feed.lastError ?? otherwise;
}

/** Starts the feed with the app (bounded wait for the first sync), reports to /health/ready, stops it on shutdown. */
class RevocationLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Revocation');
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly feed: RevocationFeed,
    private readonly mirror: RevocationMirror,
    private readonly checker: MirrorRevocationChecker,
    private readonly readiness: ReadinessRegistry,
    private readonly options: RevocationModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    // Entries whose tokens are past exp + tolerance are useless; drop them once a minute.
    this.sweeper = setInterval(() => this.mirror.sweep(), 60_000);
    this.sweeper.unref();
    this.readiness.register('revocation', async () => {
      const status = this.checker.status();
      const feed = this.feed.status();
      const details = { ...status, ...feed };
      if (!status.fresh && status.policy === 'reject') {
        throw new Error(
          `revocation data ${status.stalenessSeconds === null ? 'never loaded' : `is ${status.stalenessSeconds}s old`}, beyond the ` +
            `${status.maxStalenessSeconds}s bound: authenticated requests answer 503 revocation_unavailable (${whyNotSynced(feed)})`,
        );
      }
      return status.fresh ? details : { ...details, degraded: true, failOpen: true };
    });
    // The service starts even when Redis is down: under `reject` it is not ready and refuses tokens
    // until the first sync (under `accept` it is ready, degraded); the feed keeps retrying. Waiting briefly covers the usual case.
    // A feed waiting for auth's seed stops the wait at once: the seed may be auth's own, made only
    // after this app has started (auth's store is empty at every `npm start`), so waiting here would
    // only delay start-up; readiness says why until the mirror is complete.
    let timer: NodeJS.Timeout | undefined;
    let seedPoll: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.feed.start().then(() => 'synced' as const),
      new Promise<'pending'>((resolve) => {
        timer = setTimeout(() => resolve('pending'), this.options.startupWaitMs ?? 2000);
      }),
      new Promise<'awaiting_seed'>((resolve) => {
        seedPoll = setInterval(() => {
          if (this.feed.status().awaitingSeed) resolve('awaiting_seed');
        }, 20);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      clearInterval(seedPoll);
    });
    const { policy, maxStalenessSeconds } = this.checker.status();
    if (result === 'awaiting_seed') this.logger.log('revocation data is being seeded by auth: not ready until the mirror is complete');
    else if (result === 'pending')
      this.logger.warn(`revocation data not loaded yet (${whyNotSynced(this.feed.status(), 'connecting')}); retrying`);
    this.logger.log(
      `revocation: ${this.feed.status().source} mirror, REVOCATION_MAX_STALENESS_S=${maxStalenessSeconds}, REVOCATION_OUTAGE_POLICY=${policy}`,
    );
    if (policy === 'accept')
      this.logger.warn('REVOCATION_OUTAGE_POLICY=accept: past the staleness bound, revoked tokens may be ACCEPTED (fail-open)');
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.feed.stop();
  }
}

/**
 * The verifier side of revocation (docs/architecture.md, "Revocation"): a local mirror of the blocklist fed by
 * the Redis event stream, read on from its last id after every reconnect (or the in-process backend with
 * `REDIS_URL=memory://`), a synchronous `RevocationChecker` over it with the outage policy,
 * metrics on the app's registry and a `revocation` readiness check. Needs platform's
 * PlatformModule (RedisConnection, MetricsService, ReadinessRegistry) in the same app.
 *
 * @example
 * TokenVerifierModule.forRoot({
 *   ...config.verifier,
 *   ...RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds }),
 * })
 */
@Module({})
export class RevocationModule {
  static forRoot(options: RevocationModuleOptions): DynamicModule {
    return {
      module: RevocationModule,
      providers: [
        {
          provide: RevocationMirror,
          useFactory: () => new RevocationMirror({ clockToleranceSeconds: options.clockToleranceSeconds, now: options.now }),
        },
        {
          provide: RevocationMetrics,
          useFactory: (metrics: MetricsService, mirror: RevocationMirror) => new RevocationMetrics(metrics, mirror),
          inject: [MetricsService, RevocationMirror],
        },
        {
          provide: REVOCATION_FEED,
          useFactory: (redis: RedisConnection, mirror: RevocationMirror, metrics: RevocationMetrics): RevocationFeed => {
            const common = { keyPrefix: options.keyPrefix, now: options.now, observer: metrics.observer };
            if (redis.client === undefined) return new MemoryMirrorFeed(sharedMemoryRevocationBackend(), mirror, common);
            return new RedisMirrorFeed(redis.client, mirror, {
              ...common,
              // A healthy mirror is up to one heartbeat old: keep that well inside the bound.
              heartbeatMs: options.heartbeatMs ?? Math.min(1000, options.maxStalenessSeconds * 250),
              name: redis.connectionName.replace(/^authmesh-/, ''),
              logger: nestLogger('RevocationFeed'),
            });
          },
          inject: [RedisConnection, RevocationMirror, RevocationMetrics],
        },
        {
          provide: MirrorRevocationChecker,
          useFactory: (mirror: RevocationMirror, metrics: RevocationMetrics) =>
            new MirrorRevocationChecker(mirror, {
              maxStalenessSeconds: options.maxStalenessSeconds,
              outagePolicy: options.outagePolicy,
              record: metrics.record,
              logger: nestLogger('Revocation'),
              now: options.now,
            }),
          inject: [RevocationMirror, RevocationMetrics],
        },
        {
          provide: RevocationLifecycle,
          useFactory: (feed: RevocationFeed, mirror: RevocationMirror, checker: MirrorRevocationChecker, readiness: ReadinessRegistry) =>
            new RevocationLifecycle(feed, mirror, checker, readiness, options),
          inject: [REVOCATION_FEED, RevocationMirror, MirrorRevocationChecker, ReadinessRegistry],
        },
      ],
      exports: [MirrorRevocationChecker, RevocationMirror, REVOCATION_FEED],
    };
  }

  /**
   * The two `TokenVerifierModule.forRoot` options that plug this module in as the verifier's
   * revocation check; spread them into the verifier's options.
   */
  static forVerifier(options: RevocationModuleOptions): Pick<TokenVerifierModuleOptions, 'imports' | 'revocation'> {
    return { imports: [RevocationModule.forRoot(options)], revocation: { useExisting: MirrorRevocationChecker } };
  }
}
