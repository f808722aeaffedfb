import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MethodIndex, type RouteRules, routeRulesOf } from '../http/request-rules.js';
import { isDatabaseUnavailable } from '../database/database-errors.js';
import { AppError, BadUrlError, DatabaseUnavailableError, MethodNotAllowedError } from './app-error.js';
import { activeTraceId } from '../tracing/tracing.js';
import { codeForStatus, type ErrorBody } from './http-error-body.js';

/** Bodies that carry their own rendering (e.g. OAuth errors in RFC 6749 form). */
export interface SelfRenderingError {
  render(): { status: number; headers: Record<string, string>; body: unknown };
}

function isSelfRendering(e: unknown): e is SelfRenderingError {
  return typeof e === 'object' && e !== null && typeof (e as SelfRenderingError).render === 'function';
}

/**
 * Turns any thrown value into one HTTP answer; never leaks a stack trace. With tracing on, the
 * body carries the `traceId` next to `requestId`: what a caller quotes leads to the whole trace.
 */
export function renderError(
  exception: unknown,
  requestId: string | undefined,
  logger: Pick<Logger, 'error' | 'warn'>,
): { status: number; headers: Record<string, string>; body: unknown } {
  if (isSelfRendering(exception)) return exception.render();
  const rendered = renderOwnError(exception, requestId, logger);
  const traceId = activeTraceId();
  if (traceId !== undefined) (rendered.body as ErrorBody).traceId = traceId;
  return rendered;
}

function renderOwnError(
  exception: unknown,
  requestId: string | undefined,
  logger: Pick<Logger, 'error' | 'warn'>,
): { status: number; headers: Record<string, string>; body: ErrorBody } {
  // Fastify's router refusing an undecodable path (`/orders/%ff`) would otherwise answer in its raw format.
  if ((exception as { code?: unknown } | null)?.code === 'FST_ERR_BAD_URL') {
    exception = new BadUrlError(exception instanceof Error ? exception.message : undefined);
  }
  // A database outage is no bug: every app answers it as 503 with Retry-After, whichever query met it.
  if (!(exception instanceof AppError) && isDatabaseUnavailable(exception)) {
    exception = new DatabaseUnavailableError({
      detail: exception instanceof Error ? exception.message : String(exception),
      cause: exception,
    });
  }
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
    // Fastify's refusal of a body without Content-Type (reaching us wrapped by Nest) says only "Unsupported Media Type".
    if ((exception.cause as { code?: unknown } | undefined)?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const body: ErrorBody = { code: codeForStatus(415), message: 'The request body needs a Content-Type: application/json', requestId };
      return { status: 415, headers: { 'accept-post': 'application/json' }, body };
    }
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

/**
 * 503 (an outage, with Retry-After) and 500 get the codes RFC 6749 §4.1.2.1 defines for them; every
 * other refusal is a malformed request, except a rate limit. RFC 6749 §5.2 has no code for "too many
 * requests"; `slow_down` (RFC 8628 §3.5) belongs to device-code polling only (it tells a poller to
 * add 5 s to its interval), and `invalid_request` would tell the client its request is malformed,
 * which it is not. `temporarily_unavailable` ("temporary overloading", §4.1.2.1) is the registered
 * code that means "try again later"; the 429 status (RFC 6585 §4) and Retry-After say how long.
 */
function rfc6749ErrorFor(status: number): string {
  if (status === 503 || status === 429) return 'temporarily_unavailable';
  return status >= 500 ? 'server_error' : 'invalid_request';
}

/**
 * RFC 6749 §5.2 form of any answer, for routes that declare `errorStyle: 'rfc6749'` (the OAuth
 * endpoints): bad JSON, a too-large body or a refused string are `invalid_request` there too.
 */
export function toRfc6749(rendered: { status: number; headers: Record<string, string>; body: unknown }): {
  status: number;
  headers: Record<string, string>;
  body: unknown;
} {
  const body = rendered.body as Partial<ErrorBody> & { error?: unknown };
  if (typeof body.error === 'string') return rendered; // already an OAuth error
  const fields = (body.details as { fields?: { problems: string[] }[] } | undefined)?.fields;
  const description = fields?.length ? fields.flatMap((f) => f.problems).join('; ') : (body.message ?? 'Invalid request');
  return {
    status: rendered.status,
    headers: { ...rendered.headers, 'cache-control': 'no-store', pragma: 'no-cache' },
    body: { error: rfc6749ErrorFor(rendered.status), error_description: description },
  };
}

/** The one exception filter: every error becomes `{ code, message, requestId }` (or RFC 6749 form where a route says so). */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly methods: MethodIndex) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let rules: RouteRules = routeRulesOf(request);
    // No route matched: a known path asked with the wrong method is 405 with Allow, not 404.
    if (exception instanceof NotFoundException && request && request.routeOptions?.url === undefined) {
      const allowed = this.methods.allowed(request.url.split('?', 1)[0]!);
      if (allowed.methods.length > 0) {
        exception = new MethodNotAllowedError(request.method, allowed.methods);
        rules = allowed.rules;
      }
    }
    let rendered = renderError(exception, request?.id, this.logger);
    if (rules.errorStyle === 'rfc6749') rendered = toRfc6749(rendered);
    void reply.status(rendered.status).headers(rendered.headers).send(rendered.body);
  }
}
