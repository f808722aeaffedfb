import { renderError, routeRulesOf, toRfc6749 } from '@authmesh/platform';
import { Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

const logger = new Logger('Gateway');

/**
 * Answers an error from a raw Fastify hook or route (the proxy, the rate limiter) exactly as the
 * platform's exception filter answers from Nest routes: same status, headers and
 * `{ code, message, requestId }` body, or RFC 6749 §5.2 `{ error, error_description }` on a route
 * that declares `errorStyle: 'rfc6749'` (the proxied `/oauth/*`: an OAuth client parses that form
 * whoever answers, auth or the gateway in front of it). Nest's filter does not run on routes Nest
 * does not own.
 */
export function sendError<R extends ReplyLike<R>>(request: Pick<FastifyRequest, 'id' | 'routeOptions'>, reply: R, error: unknown): R {
  let rendered = renderError(error, request.id, logger);
  if (routeRulesOf(request).errorStyle === 'rfc6749') rendered = toRfc6749(rendered);
  return reply.code(rendered.status).headers(rendered.headers).send(rendered.body);
}

/** The part of a Fastify reply this needs (reply-from types its replies over every server kind). */
export interface ReplyLike<R> {
  code(status: number): R;
  headers(values: Record<string, string>): R;
  send(body: unknown): R;
}
