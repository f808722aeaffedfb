import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { renderError } from './all-exceptions.filter.js';

const logger = new Logger('Errors');

/**
 * Fastify's `frameworkErrors`: the refusals its router makes before any route, hook or Nest filter
 * runs (FST_ERR_BAD_URL for `/orders/%ff`, FST_ERR_MAX_PARAM_LENGTH, FST_ERR_ASYNC_CONSTRAINT).
 * Without it Fastify writes its own `{statusCode,code,error,message}`; with it they get the one
 * platform shape, `{ code, message, requestId }`, and the X-Request-Id the onRequest hook would
 * have set (no hook runs for them).
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const { status, headers, body } = renderError(error, request.id, logger);
  void reply.code(status).header('x-request-id', request.id).headers(headers).send(body);
}
