import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/public.decorator.js';

/**
 * Liveness on the main port. It says only "the process answers" (no dependency, no number), and
 * a probe of the port that carries traffic is the one that proves that port accepts connections.
 * Readiness and metrics, which describe the service's state, are on the management listener only.
 */
@Public()
@Controller('health')
export class HealthController {
  /** Liveness: the process answers. Never checks dependencies (a DB outage must not restart pods). */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
