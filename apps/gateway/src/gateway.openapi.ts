import {
  BEARER_JWT_SCHEME,
  BEARER_SCHEME,
  OPENAPI_COMPONENTS,
  type OpenApiPaths,
  type OpenApiSpec,
  errorResponsesFor,
  responseRef,
} from '@authmesh/platform';
import type { OperationObject, PathItemObject, SecurityRequirementObject } from '@nestjs/swagger';
import type { GatewayConfig, GatewaySettings } from './config/gateway.config.js';
import { type GatewayRoute, gatewayRoutes } from './proxy/routes.js';
import { webAppPaths } from './web/web-app.openapi.js';

/** Security scheme names of the BFF session (session/session-cookie.ts) and its CSRF header (session/csrf.ts). */
export const SESSION_SCHEME = 'session';
export const CSRF_SCHEME = 'csrf';
/** The header checkCsrf reads (OWASP synchronizer token). */
const CSRF_HEADER = 'x-csrf-token';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];
const UNSAFE = new Set<Method>(['post', 'put', 'patch', 'delete']);

/** Who may call a proxied route, by its access class (EdgeAccess.decide). */
function securityOf(route: GatewayRoute, method: Method): SecurityRequirementObject[] | undefined {
  if (route.access === 'public') return undefined;
  // {} first: verify-email and unlock carry no token; a token, when sent, must be good for audience
  // auth; the account operations also take the session cookie (unsafe ones with the CSRF header).
  if (route.access === 'auth')
    return [{}, { [BEARER_SCHEME]: [] }, UNSAFE.has(method) ? { [SESSION_SCHEME]: [], [CSRF_SCHEME]: [] } : { [SESSION_SCHEME]: [] }];
  // A browser's session cookie is the alternative to a bearer token; unsafe methods also need the CSRF header.
  const session: SecurityRequirementObject = UNSAFE.has(method) ? { [SESSION_SCHEME]: [], [CSRF_SCHEME]: [] } : { [SESSION_SCHEME]: [] };
  return [{ [BEARER_SCHEME]: [] }, session];
}

/** How a route's request reaches its upstream, in words (EdgeAccess and proxy.plugin.ts). */
function forwardingOf(route: GatewayRoute, settings: GatewaySettings): string {
  const allowed =
    route.allow === undefined
      ? ''
      : ` Only these operations are forwarded; any other path under \`${route.prefix}\` is 404 \`not_found\` at the gateway (no operation that takes a password is proxied): ${route.allow
          .map((o) => `\`${o.method} ${o.path}\`${o.session ? ' (session cookie accepted)' : ''}`)
          .join(', ')}.`;
  const where = `Proxied, streamed, to ${route.name}'s \`${route.rewritePrefix}\` (the \`${route.prefix}\` prefix replaced), with X-Forwarded-For/-Proto/-Host set by the gateway.${allowed}`;
  if (route.access === 'public') return `${where} No credential is checked at the edge.`;
  if (route.access === 'auth')
    return `${where} A bearer token, when present, must verify for audience \`auth\` and is forwarded unchanged; without one, the operations marked above take the BFF session cookie (its access token attached; unsafe methods pass the CSRF check); the others pass without a token. See auth's own /openapi.json for the operations.`;
  const unchanged = (settings.forwardUnchangedRoutes as readonly string[]).includes(route.name);
  return (
    `${where} Needs a user token for audience \`${route.name}\`: a bearer token, or the BFF session cookie (its access token attached; ` +
    `unsafe methods pass the CSRF check: \`${CSRF_HEADER}\` and a same-origin Origin/Referer). ` +
    (unchanged
      ? 'This route is in GATEWAY_FORWARD_UNCHANGED_ROUTES: the user token is forwarded as is.'
      : `The token is exchanged at auth (RFC 8693) for one whose \`aud\` is \`${route.name}\` alone, which replaces Authorization upstream; 503 when auth can't be reached.`) +
    ` See ${route.name}'s own /openapi.json for the operations.`
  );
}

function operationOf(route: GatewayRoute, settings: GatewaySettings, method: Method, withPath: boolean): OperationObject {
  const oauth = route.rules?.errorStyle === 'rfc6749';
  const op: OperationObject = {
    tags: ['Proxy'],
    summary: `${method.toUpperCase()} ${route.prefix}${withPath ? '/…' : ''} → ${route.name}`,
    description: forwardingOf(route, settings),
    operationId: `proxy_${route.prefix.replace(/[^A-Za-z0-9]+/g, '_')}${withPath ? '_path' : ''}_${method}`,
    parameters: withPath
      ? [
          {
            name: 'path',
            in: 'path',
            required: true,
            description: 'The rest of the path, slashes included, forwarded as is.',
            schema: { type: 'string' },
          },
        ]
      : [],
    responses: {
      default: { description: `${route.name}'s answer, streamed back (hop-by-hop headers removed).` },
      // upstream_unavailable, upstream_timeout: the gateway's own answers when the upstream fails.
      '502': responseRef(oauth ? OPENAPI_COMPONENTS.oauthErrorResponse : OPENAPI_COMPONENTS.errorResponse),
      '504': responseRef(oauth ? OPENAPI_COMPONENTS.oauthErrorResponse : OPENAPI_COMPONENTS.errorResponse),
      // not_found: a path that is not on the route's allow-list.
      ...(route.allow ? { '404': responseRef(oauth ? OPENAPI_COMPONENTS.oauthErrorResponse : OPENAPI_COMPONENTS.errorResponse) } : {}),
      ...errorResponsesFor(oauth ? 'rfc6749' : 'platform'),
    },
  };
  if (UNSAFE.has(method)) {
    const any = { schema: {} };
    op.requestBody = {
      required: false,
      description: 'Forwarded as is; the upstream validates it.',
      content: oauth ? { 'application/x-www-form-urlencoded': any, 'application/json': any } : { 'application/json': any },
    };
  }
  const security = securityOf(route, method);
  if (security) op.security = security;
  return op;
}

/** The gateway's proxy table as paths: each prefix, and everything under it (`{path}`). */
export function proxiedPaths(settings: GatewaySettings): OpenApiPaths {
  const paths: OpenApiPaths = {};
  for (const route of gatewayRoutes(settings)) {
    for (const withPath of [false, true]) {
      const item: PathItemObject = {};
      for (const method of METHODS) item[method] = operationOf(route, settings, method, withPath);
      paths[withPath ? `${route.prefix}/{path}` : route.prefix] = item;
    }
  }
  return paths;
}

/** What the gateway's `GET /openapi.json` says beyond its session controller. */
export const GATEWAY_OPENAPI: OpenApiSpec<GatewayConfig> = {
  summary:
    'The edge: it proxies an allow-list of `/auth`, `/oauth`, `/.well-known` to auth and `/api/orders`, `/api/profiles` to those services, ' +
    'checking credentials first (bearer tokens, or the BFF session of `/session/*`) and exchanging user tokens per hop. ' +
    "Browsers sign in with the authorization code flow (`GET /session/login` → auth's hosted login page → `GET /session/callback`): " +
    'no route of the gateway takes a password. ' +
    'Proxied operations are described here by prefix; the upstream documents (`/openapi.json` on each service) list them one by one.',
  securitySchemes: (config) => ({
    [BEARER_SCHEME]: BEARER_JWT_SCHEME,
    [SESSION_SCHEME]: {
      type: 'apiKey',
      in: 'cookie',
      name: config.gateway.sessionCookieName,
      description: 'The BFF session cookie set by GET /session/callback at the end of a browser login (HttpOnly, Secure, SameSite=Lax).',
    },
    [CSRF_SCHEME]: {
      type: 'apiKey',
      in: 'header',
      name: CSRF_HEADER,
      description:
        "The session's csrfToken (from GET /session), on every unsafe cookie-authenticated request, with a same-origin Origin or Referer.",
    },
  }),
  rawPaths: (config) => ({ ...proxiedPaths(config.gateway), ...webAppPaths() }),
  tags: [
    { name: 'Proxy', description: 'Routes forwarded to the upstream services.' },
    { name: 'Web app', description: 'The browser app served at `/` (apps/gateway/web).' },
  ],
  schemas: {
    SessionView: {
      oneOf: [
        {
          type: 'object',
          required: ['authenticated', 'csrfToken', 'sub'],
          properties: { authenticated: { type: 'boolean', enum: [true] }, csrfToken: { type: 'string' }, sub: { type: 'string' } },
        },
        { type: 'object', required: ['authenticated'], properties: { authenticated: { type: 'boolean', enum: [false] } } },
      ],
    },
  },
};
