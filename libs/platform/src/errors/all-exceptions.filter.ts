import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './app-error.js';
import { codeForStatus, type ErrorBody } from './http-error-body.js';

/** Bodies that carry their own rendering (e.g. OAuth errors in RFC 6749 form). */
export interface SelfRenderingError {
  render(): { status: number; headers: Record<string, string>; body: unknown };
}

function isSelfRendering(e: unknown): e is SelfRenderingError {
  return typeof e === 'object' && e !== null && typeof (e as SelfRenderingError).render === 'function';
}

/** Turns any thrown value into one HTTP answer; never leaks a stack trace. */
export function renderError(
  exception: unknown,
  requestId: string | undefined,
  logger: Pick<Logger, 'error' | 'warn'>,
): { status: number; headers: Record<string, string>; body: unknown } {
  if (isSelfRendering(exception)) return exception.render();
  if (exception instanceof AppError) {
    if (exception.detail) logger.warn(`${exception.code}: ${exception.detail} (request ${requestId})`);
    const body: ErrorBody = { code: exception.code, message: exception.message, requestId };
    if (exception.details !== undefined) body.details = exception.details;
    return { status: exception.status, headers: { ...exception.headers }, body };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && typeof (response as { message?: unknown }).message === 'string'
        ? (response as { message: string }).message
        : exception.message;
    if (status >= 500) logger.error(exception, `request ${requestId}`);
    const body: ErrorBody = { code: codeForStatus(status), message: status >= 500 ? 'Internal server error' : message, requestId };
    return { status, headers: {}, body };
  }
  // Fastify's own errors (bad JSON, body too large, unsupported media type) carry statusCode.
  const fastifyStatus = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    const message = exception instanceof Error ? exception.message : 'Bad request';
    return { status: fastifyStatus, headers: {}, body: { code: codeForStatus(fastifyStatus), message, requestId } satisfies ErrorBody };
  }
  logger.error(
    exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    `unhandled error in request ${requestId}`,
  );
  return { status: 500, headers: {}, body: { code: 'internal_error', message: 'Internal server error', requestId } satisfies ErrorBody };
}

/** The one exception filter: every error becomes `{ code, message, requestId }`. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, headers, body } = renderError(exception, request?.id, this.logger);
    void reply.status(status).headers(headers).send(body);
  }
}
