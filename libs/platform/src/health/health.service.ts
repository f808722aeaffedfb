import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorFunction,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { NotReadyError } from '../errors/app-error.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { ReadinessRegistry } from './readiness-registry.js';

const CHECK_TIMEOUT_MS = 1500;

/**
 * Readiness means "this instance can serve under its outage policy", not "every dependency
 * answers". The database and Redis are shared by every replica: failing readiness when one of them
 * does not answer makes every pod unready at the same moment, and Kubernetes (or any load
 * balancer) then removes them all from the Service, turning a partial outage (verifiers keep
 * serving on their revocation mirror for REVOCATION_MAX_STALENESS_S, a request that needs the
 * database answers 503 database_unavailable) into a total one. So those two are reported, as
 * `degraded` with `down: true` and the error, and only the checks a module registered for what
 * this instance can do (JWKS loaded and within its bound, revocation mirror within its bound or
 * failing open, docs/architecture.md "Revocation") make it 503. Served on the management listener
 * (details) and as a bare yes/no on the main port.
 */
@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisConnection,
    private readonly registry: ReadinessRegistry,
  ) {}

  /** The checks' results (status `ok` or `degraded`); throws NotReadyError (503, Retry-After) when a gating check fails. */
  async ready(): Promise<HealthCheckResult> {
    const checks: HealthIndicatorFunction[] = [
      async () => this.reportOnly('database', await this.db.pingCheck('database').withTimeout(CHECK_TIMEOUT_MS)),
      async () =>
        this.reportOnly(
          'redis',
          await this.indicators
            .check('redis')
            .attempt(async () => {
              await this.redis.ping(CHECK_TIMEOUT_MS);
              return { mode: this.redis.mode };
            })
            .withTimeout(CHECK_TIMEOUT_MS),
        ),
      ...this.registry.entries().map(([name, check]): HealthIndicatorFunction => async () => {
        const result = await this.indicators
          .check(name)
          .attempt(async () => (await check()) ?? {})
          .withTimeout(CHECK_TIMEOUT_MS);
        return this.registry.gates(name) ? this.degradedWhenSaid(name, result) : this.reportOnly(name, result);
      }),
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

  /** A failure that must not fail readiness: reported as `degraded`, with `down: true` and what went wrong. */
  private reportOnly(name: string, result: HealthIndicatorResult): HealthIndicatorResult {
    const { status, ...data } = result[name] ?? { status: 'down' };
    if (status !== 'down') return this.degradedWhenSaid(name, result);
    return this.indicators.check(name).degraded({ ...data, down: true });
  }

  /** A check that passed but said `degraded: true` (a stale but usable JWKS, a fail-open mirror) is `degraded`. */
  private degradedWhenSaid(name: string, result: HealthIndicatorResult): HealthIndicatorResult {
    const { status, ...data } = result[name] ?? { status: 'down' };
    return status === 'up' && data.degraded === true ? this.indicators.check(name).degraded(data) : result;
  }
}
