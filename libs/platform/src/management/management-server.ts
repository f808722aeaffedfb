import { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { ManagementConfig } from '../config/base-config.js';
import { renderError } from '../errors/all-exceptions.filter.js';
import type { ErrorBody } from '../errors/http-error-body.js';
import type { HealthService } from '../health/health.service.js';
import { requestIdFor } from '../logging/request-id.js';
import type { MetricsService } from '../metrics/metrics.service.js';

/** The management listener of one app, once it listens. */
export interface ManagementServer {
  /** e.g. http://127.0.0.1:3101 */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The management listener: `/metrics`, `/health/live`, `/health/ready` on a socket of their own
 * (Spring Boot's `management.server.port`, Envoy's admin listener). A route on the main port, or
 * a path the gateway proxies (`/api/orders/../../metrics`), can never reach it: it is a different
 * port, not a different path, so no path normalisation or proxy rewrite matters.
 */
export async function startManagementServer(
  config: ManagementConfig,
  deps: { metrics: MetricsService; health: HealthService },
): Promise<ManagementServer> {
  const logger = new Logger('Management');
  const server: FastifyInstance = Fastify({ genReqId: requestIdFor, requestTimeout: 30_000, return503OnClosing: true });
  server.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  server.addHook('onResponse', (request, reply, done) => {
    deps.metrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  server.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return deps.metrics.registry.metrics();
  });
  server.get('/health/live', () => ({ status: 'ok' }));
  server.get('/health/ready', async (request, reply) => {
    try {
      return await deps.health.ready();
    } catch (e) {
      const { status, headers, body } = renderError(e, request.id, logger);
      return reply.status(status).headers(headers).send(body);
    }
  });
  server.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      code: 'not_found',
      message: `No route ${request.method} ${request.url.split('?')[0]}`,
      requestId: request.id,
    };
    void reply.status(404).send(body);
  });
  await server.listen({ port: config.port, host: config.host });
  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const shown = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return { url: `http://${shown}:${address.port}`, close: () => server.close() };
}
