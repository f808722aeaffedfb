import type { FastifyCorsOptions } from '@fastify/cors';
import type { GatewaySettings } from '../config/gateway.config.js';

/**
 * CORS for browser apps on other origins (GATEWAY_CORS_ORIGINS). Only a listed origin gets CORS
 * headers, and with them `Access-Control-Allow-Credentials: true` (the session cookie): a reflected
 * `*`-like policy with credentials would let any site read users' data. Everything else gets no
 * CORS headers at all, so browsers keep the same-origin policy. Preflights are answered by the
 * gateway itself (they carry no credentials, so they must not reach the edge checks).
 */
export function corsOptions(settings: GatewaySettings): FastifyCorsOptions {
  const allowed = new Set(settings.corsOrigins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-csrf-token', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  };
}
