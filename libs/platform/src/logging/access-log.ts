import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorCodeOf, recordErrorCode, serverSpanOf } from '../tracing/tracing.js';

// Probes and scrapes would drown the lines that matter (the management listener serves most of them).
const QUIET_PATHS = ['/health/'];
// An error body is small; anything larger is not ours to parse.
const MAX_ERROR_BODY = 16 * 1024;

/** The principal a verifying guard left on the request (token-verifier's JwtAuthGuard: `request.principal`). */
interface WithPrincipal {
  principal?: { sub?: unknown; clientId?: unknown };
}

/**
 * Names the principal of a request for its access line, where no Nest guard ran (the gateway's
 * proxied routes verify at the edge). Ids only: never the token.
 */
export function notePrincipal(request: FastifyRequest, principal: { sub: string; clientId: string }): void {
  (request as FastifyRequest & WithPrincipal).principal = principal;
}

/** The code of an error body: `{ code }` (ours) or `{ error }` (RFC 6749 §5.2). */
function codeOfBody(payload: string): string | undefined {
  try {
    const body = JSON.parse(payload) as { code?: unknown; error?: unknown };
    const code = typeof body.code === 'string' ? body.code : body.error;
    return typeof code === 'string' && code.length <= 64 ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of one access line (exported for the unit test). */
export function accessFields(request: FastifyRequest, status: number, elapsedMs: number): Record<string, unknown> {
  const principal = (request as FastifyRequest & WithPrincipal).principal;
  const span = serverSpanOf(request)?.spanContext();
  return {
    requestId: request.id,
    ...(span === undefined ? {} : { traceId: span.traceId, spanId: span.spanId }),
    method: request.method,
    // The route pattern, never the URL: a query string can hold an authorization code or a state.
    route: request.routeOptions.url ?? 'unmatched',
    status,
    durationMs: Math.round(elapsedMs * 100) / 100,
    ...(typeof principal?.sub === 'string' ? { sub: principal.sub } : {}),
    ...(typeof principal?.clientId === 'string' ? { client_id: principal.clientId } : {}),
    ...(errorCodeOf(request) === undefined ? {} : { code: errorCodeOf(request) }),
  };
}

/**
 * One access line per request for every app (`msg: "request completed"`): method, route
 * pattern, status, duration, the principal's `sub` and `client_id` once a token was verified,
 * the stable error `code` of a refusal, the request id and the trace id. Never headers, bodies or
 * the URL. The code is read from the error body as it is sent, so it is the code the client saw
 * whoever answered (the exception filter, the gateway's raw routes, an upstream through the proxy).
 */
export function installAccessLog(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length <= MAX_ERROR_BODY) {
      const code = codeOfBody(payload);
      if (code !== undefined) recordErrorCode(request, code);
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!QUIET_PATHS.some((p) => request.url.startsWith(p))) {
      const fields = accessFields(request, reply.statusCode, reply.elapsedTime);
      if (reply.statusCode >= 500) logger.error(fields, 'request completed');
      else logger.info(fields, 'request completed');
    }
    done();
  });
}
