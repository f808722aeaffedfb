import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { KeyLifecycle } from './key-lifecycle.service.js';
import { Keyring } from './keyring.service.js';

const ERROR_LOG_EVERY_MS = 30_000;

/**
 * Every AUTH_KEY_CHECK_INTERVAL_S, on every instance: advance key states that are due (only the
 * instance that gets the lock does it) and reload the keyring if another instance changed it. The
 * reload is the backstop to the Redis announcement, which normally arrives within milliseconds.
 */
@Injectable()
export class KeyScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('KeyScheduler');
  private timer?: NodeJS.Timeout;
  private running = false;
  private lastErrorLogAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly lifecycle: KeyLifecycle,
    private readonly keyring: Keyring,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.auth.keys.checkIntervalSeconds * 1000);
    this.timer.unref();
  }

  private warn(what: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_EVERY_MS) return;
    this.lastErrorLogAt = now;
    this.logger.warn(`${what} failed (retrying every ${this.config.auth.keys.checkIntervalSeconds}s): ${String(e)}`);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One check; never throws (the database may be down: the next tick retries). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Separately: a failed transition must not skip the reload (the backstop to the announcement).
      await this.lifecycle.advance().catch((e: unknown) => this.warn('key lifecycle check', e));
      await this.keyring.reload().catch((e: unknown) => this.warn('keyring reload', e));
    } finally {
      this.running = false;
    }
  }
}
