import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator.js';
import { NotReadyError } from '../errors/app-error.js';
import { HealthService } from './health.service.js';

/**
 * Health on the main port, without details. Liveness says only "the process answers"; readiness
 * says only ok or 503 (with Retry-After): the port that carries traffic is the one a probe or a
 * load balancer must ask, and a yes/no tells an outsider nothing a request would not. What the
 * checks found (database, Redis, JWKS and revocation state) and the metrics describe the service's
 * insides: those are on the management listener only.
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness: the process answers. Never checks dependencies (a DB outage must not restart pods). */
  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (never checks dependencies)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness, yes or no: the same answer as the management listener's (HealthService), none of its details; `degraded` is a yes. */
  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness, yes or no: 503 not_ready with Retry-After when this instance cannot serve under its outage policy; a shared database or Redis outage alone is not one (details: management listener)',
  })
  @ApiOkResponse({ schema: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } })
  async ready(): Promise<{ status: 'ok' }> {
    try {
      await this.health.ready();
    } catch (e) {
      if (e instanceof NotReadyError) throw new NotReadyError('Service is not ready', { retryAfterSeconds: 5 });
      throw e;
    }
    return { status: 'ok' };
  }
}
