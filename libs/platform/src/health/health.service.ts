import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { NotReadyError } from '../errors/app-error.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { ReadinessRegistry } from './readiness-registry.js';

const CHECK_TIMEOUT_MS = 1500;

/** Readiness: the database and Redis answer (plus any check a module registered). Served on the management listener only. */
@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisConnection,
    private readonly registry: ReadinessRegistry,
  ) {}

  /** The checks' results; throws NotReadyError (503, Retry-After) when one fails. */
  async ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      () => this.db.pingCheck('database').withTimeout(CHECK_TIMEOUT_MS),
      () =>
        this.indicators
          .check('redis')
          .attempt(async () => {
            await this.redis.ping(CHECK_TIMEOUT_MS);
            return { mode: this.redis.mode };
          })
          .withTimeout(CHECK_TIMEOUT_MS),
      ...this.registry.entries().map(
        ([name, check]): HealthIndicatorFunction =>
          () =>
            this.indicators
              .check(name)
              .attempt(async () => (await check()) ?? {})
              .withTimeout(CHECK_TIMEOUT_MS),
      ),
    ];
    try {
      return await this.health.check(checks);
    } catch (e) {
      if (e instanceof ServiceUnavailableException) {
        throw new NotReadyError('Service is not ready', { details: e.getResponse(), retryAfterSeconds: 5 });
      }
      throw e;
    }
  }
}
