import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorFunction,
} from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { NotReadyError } from '../errors/app-error.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { ReadinessRegistry } from './readiness-registry.js';

const CHECK_TIMEOUT_MS = 1500;

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisConnection,
    private readonly registry: ReadinessRegistry,
  ) {}

  /** Liveness: the process answers. Never checks dependencies (a DB outage must not restart pods). */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database and Redis answer (plus any check a module registered); 503 otherwise. */
  @Get('ready')
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
