import type { ReadinessRegistry } from '@authmesh/platform';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { JwksStatus } from '../core/jwks/jwks-cache.js';

/**
 * A key source whose state the app reports: the JWKS cache (which also starts and stops), or a
 * custom source that can say how it is (auth's keyring). `status()` is what /health/ready shows.
 */
export interface ManagedKeySource {
  status(): JwksStatus;
  /** Loads the keys and keeps them fresh; never throws (the JWKS cache retries with backoff). */
  start?(): Promise<unknown>;
  stop?(): void;
}

export interface JwksLifecycleOptions {
  /** Where the keys come from, for messages (`AUTH_JWKS_URI`, or the custom source's name). */
  readonly origin: string;
  /** Logger context (`TokenVerifier(<name>)`). */
  readonly name: string;
  /** How long start-up waits for the first keys before listening anyway. */
  readonly startupWaitMs: number;
  /** JWKS_MAX_STALENESS_S; null where keys never go stale (a custom source). */
  readonly maxStalenessSeconds: number | null;
}

/**
 * Starts the key source with the app, reports it as the `jwks` readiness check, stops it on
 * shutdown: one implementation for every app (orders, profiles, the gateway's edge, auth's own
 * keyring), so /health/ready has one shape everywhere: `{ keys, ageSeconds, maxStalenessSeconds,
 * lastResult, lastError?, degraded? }`.
 *
 * The app starts even when auth is down: it is not ready until keys arrive, and the cache keeps
 * retrying with backoff. Waiting briefly at start-up makes the common case ready at once.
 */
export class JwksLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: Logger;

  constructor(
    private readonly keys: Partial<ManagedKeySource>,
    private readonly readiness: ReadinessRegistry,
    private readonly options: JwksLifecycleOptions,
  ) {
    this.logger = new Logger(`TokenVerifier(${options.name})`);
  }

  async onModuleInit(): Promise<void> {
    const { origin, maxStalenessSeconds } = this.options;
    const keys = this.keys;
    const statusOf = keys.status?.bind(keys);
    // A key source that cannot say how it is (a test double) has no readiness check.
    if (statusOf)
      this.readiness.register('jwks', async () => {
        const status = statusOf();
        const details = {
          keys: status.kids.length,
          ageSeconds: Number.isFinite(status.ageSeconds) ? Math.round(status.ageSeconds) : null,
          maxStalenessSeconds,
          lastResult: status.lastResult ?? null,
          ...(status.lastError ? { lastError: status.lastError } : {}),
        };
        if (!status.usable) {
          throw new Error(
            status.lastSuccessAt === undefined
              ? `no JWKS loaded yet from ${origin} (${status.lastError ?? 'fetching'})`
              : `JWKS is ${Math.round(status.ageSeconds)}s old, beyond the ${maxStalenessSeconds ?? '?'}s bound (${status.lastError ?? ''})`,
          );
        }
        // Usable but failing to refresh: still ready (we keep verifying through an auth outage),
        // and the details say so.
        return status.consecutiveFailures > 0 ? { ...details, degraded: true } : details;
      });
    if (!keys.start) return;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      keys.start(),
      new Promise<'pending'>((resolve) => {
        timer = setTimeout(() => resolve('pending'), this.options.startupWaitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const status = statusOf?.();
    if (!status || status.usable) this.logger.log(`JWKS loaded from ${origin}: ${status?.kids.length ?? '?'} key(s)`);
    else this.logger.warn(`JWKS not available yet from ${origin} (${String(result)}); not ready until it is, retrying`);
  }

  onApplicationShutdown(): void {
    this.keys.stop?.();
  }
}
