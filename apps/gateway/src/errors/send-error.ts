import { renderError } from '@authmesh/platform';
import { Logger } from '@nestjs/common';

const logger = new Logger('Gateway');

/**
 * Answers an error from a raw Fastify hook or route (the proxy, the rate limiter) exactly as the
 * platform's exception filter answers from Nest routes: same status, headers and
 * `{ code, message, requestId }` body. Nest's filter does not run on routes Nest does not own.
 */
export function sendError<R extends ReplyLike<R>>(request: { id: string }, reply: R, error: unknown): R {
  const { status, headers, body } = renderError(error, request.id, logger);
  return reply.code(status).headers(headers).send(body);
}

/** The part of a Fastify reply this needs (reply-from types its replies over every server kind). */
export interface ReplyLike<R> {
  code(status: number): R;
  headers(values: Record<string, string>): R;
  send(body: unknown): R;
}
