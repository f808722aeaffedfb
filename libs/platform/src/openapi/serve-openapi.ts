import type { FastifyInstance } from 'fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { routeConfigOf } from '../http/request-rules.js';
import { OPENAPI_PATH } from './build-openapi-document.js';

/**
 * Serves `document` at `GET /openapi.json` as a raw Fastify route: public on every app (no Nest
 * guard runs on it), under the platform's hooks (request id, metrics, input rules) like any route.
 * Serialised once here, so a request costs a string write. `SwaggerModule.setup` would add Swagger
 * UI and its static assets, which no service here needs.
 */
export function serveOpenApiDocument(fastify: FastifyInstance, document: OpenAPIObject): void {
  const body = JSON.stringify(document);
  fastify.get(OPENAPI_PATH, { config: routeConfigOf({}) }, (_request, reply) => {
    void reply.header('content-type', 'application/json; charset=utf-8').send(body);
  });
}
