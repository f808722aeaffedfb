import { type ReadinessRegistry } from '@authmesh/platform';
import type { JwksCache, VerifierConfig } from '@authmesh/token-verifier';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

/**
 * Starts the edge's JWKS cache with the app (a bounded wait, then listening anyway: the gateway is
 * not ready until keys arrive), reports it to /health/ready, stops it on shutdown. The same
 * behaviour as `TokenVerifierModule` gives the services, which the gateway can't use as is: it
 * needs one verifier per routed audience and no global guard (its proxy routes are raw Fastify).
 */
export class JwksLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EdgeJwks');

  constructor(
    private readonly jwks: JwksCache,
    private readonly readiness: ReadinessRegistry,
    private readonly config: VerifierConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.readiness.register('jwks', async () => {
      const status = this.jwks.status();
      if (!status.usable) throw new Error(`no usable JWKS from ${this.config.jwksUri} (${status.lastError ?? 'fetching'})`);
      const details = { keys: status.kids.length, ageSeconds: Math.round(status.ageSeconds) };
      return status.consecutiveFailures > 0 ? { ...details, degraded: true } : details;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.jwks.start(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.config.jwksFetchTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (this.jwks.status().usable) this.logger.log(`JWKS loaded from ${this.config.jwksUri}`);
    else this.logger.warn(`JWKS not available yet from ${this.config.jwksUri}; not ready until it is, retrying`);
  }

  onApplicationShutdown(): void {
    this.jwks.stop();
  }
}
