import httpProxy from '@fastify/http-proxy';
import { routeConfigOf, withoutCallerTraceContext } from '@authmesh/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { EdgeAccess, EdgeDecision } from '../edge/edge-access.js';
import { SessionExpiredError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors/gateway-errors.js';
import { sendError } from '../errors/send-error.js';
import { forwardContextOf, stripHopByHop, upstreamRequestHeaders } from './forward-headers.js';
import type { GatewayRoute } from './routes.js';
import { forwardedForProofHeaders } from '../rate-limit/forwarded-for-proof.js';

export interface ProxyPluginOptions {
  readonly routes: readonly GatewayRoute[];
  readonly access: EdgeAccess;
  readonly upstreamTimeoutMs: number;
  /** GATEWAY_PUBLIC_ORIGIN: what upstreams get as X-Forwarded-Host/-Proto (never the client's Host). */
  readonly publicOrigin: string;
  /** The session cookie name: never forwarded upstream. */
  readonly sessionCookieName: string;
  /** Clears the session cookie on a reply (session_expired). */
  readonly clearSessionCookie: (reply: FastifyReply) => void;
  /** GATEWAY_PROXY_SECRET: requests to auth carry the proof that the gateway wrote X-Forwarded-For. */
  readonly proxySecret?: string;
}

/** What the edge decided for a request, for the header rewrite that runs when it is forwarded. */
const decisions = new WeakMap<FastifyRequest, EdgeDecision>();

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function isTimeout(error: { statusCode?: number; code?: string; cause?: { code?: string } }): boolean {
  return error.statusCode === 504 || TIMEOUT_CODES.has(error.code ?? '') || TIMEOUT_CODES.has(error.cause?.code ?? '');
}

/**
 * The routing table on @fastify/http-proxy (over @fastify/reply-from and undici): request and
 * response bodies are streamed, not buffered; the edge's access rules run in each route's
 * preHandler, so a refused request is answered here and nothing reaches the upstream.
 */
export async function proxyPlugin(fastify: FastifyInstance, options: ProxyPluginOptions): Promise<void> {
  const sessionCookieNames = [options.sessionCookieName];
  // Bodies go to the upstream as they came; the upstream parses and judges them. http-proxy passes
  // JSON and unknown types raw, but not forms: the app's form parser turned them into an object
  // that reply-from could not re-send (a 502 for every form POST through a route, the OAuth
  // endpoints' own encoding included). Found by the body fuzz test.
  fastify.removeContentTypeParser('application/x-www-form-urlencoded');
  fastify.addContentTypeParser('application/x-www-form-urlencoded', (_request, payload, done) => done(null, payload));
  // Refusals made in this scope before the preHandler (the platform's input rules: 415 for a media
  // type, 400 for a NUL in the query; bad JSON, a body over the limit) reached Fastify's default
  // error handler, which answers `{statusCode,code,error,message}` with no requestId and no field.
  // Nest's filter does not run here; this renders them exactly as it would.
  fastify.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  for (const route of options.routes) {
    await fastify.register(httpProxy, {
      prefix: route.prefix,
      rewritePrefix: route.rewritePrefix,
      upstream: route.upstream,
      // Read by the platform's input rules (media types) and by sendError (RFC 6749 form on /oauth/*).
      config: routeConfigOf(route.rules ?? {}),
      // Upgrade requests (WebSocket) are not routed.
      websocket: false,
      // The platform's request log already has one line per request; reply-from would add two.
      disableRequestLogging: true,
      // Don't rewrite Location: upstream redirects are relative to their own paths, which we keep.
      internalRewriteLocationHeader: false,
      undici: {
        headersTimeout: options.upstreamTimeoutMs,
        bodyTimeout: options.upstreamTimeoutMs,
        connect: { timeout: options.upstreamTimeoutMs },
      },
      preHandler: async (request: FastifyRequest, reply: FastifyReply) => {
        try {
          const decision = await options.access.decide(route, request, forwardContextOf(request, options.publicOrigin));
          decisions.set(request, decision);
        } catch (e) {
          if (e instanceof SessionExpiredError) options.clearSessionCookie(reply);
          return sendError(request, reply, e);
        }
      },
      replyOptions: {
        rewriteRequestHeaders: (request, headers: IncomingHttpHeaders) => {
          const ctx = forwardContextOf(request as FastifyRequest, options.publicOrigin);
          const decision = decisions.get(request as FastifyRequest);
          return {
            ...withoutCallerTraceContext(
              upstreamRequestHeaders(request.headers, headers, ctx, {
                sessionCookieNames,
                authorization: decision?.authorization,
                dpop: decision?.dpop,
              }),
            ),
            ...(route.name === 'auth' ? forwardedForProofHeaders(options.proxySecret, ctx.forwardedFor) : {}),
          };
        },
        // Hop-by-hop fields of the upstream's response concern only that connection (RFC 9110 §7.6.1).
        rewriteHeaders: (headers) => stripHopByHop({ ...headers }),
        // A gateway that retries a failing upstream multiplies its load just when it struggles;
        // reply-from would retry GETs that answer 503 up to ten times. Clients decide (Retry-After).
        retryDelay: () => null,
        onError: (reply, { error: raw }) => {
          const error = raw as Error & { statusCode?: number; code?: string; cause?: { code?: string } };
          const detail = `${error.code ?? error.name}: ${error.cause?.code ?? error.message}`;
          const mapped = isTimeout(error) ? new UpstreamTimeoutError(route.name, detail) : new UpstreamUnavailableError(route.name, detail);
          sendError(reply.request, reply, mapped);
        },
      },
    });
  }
}
