import type { RouteRules } from '@authmesh/platform';
import type { ApiRouteName, GatewaySettings } from '../config/gateway.config.js';

/**
 * How the edge treats a route:
 * - `public`: passes through untouched (OAuth endpoints authenticate clients themselves; discovery and JWKS are public);
 * - `auth`: a bearer token, when present, must be good for audience `auth`; without one, the
 *   session cookie's token is used on the operations that allow it (`session: true`); anything
 *   else passes without a token (verify-email, unlock);
 * - `api`: a user token (bearer, or the session's) good for the routed service is required.
 */
export type RouteAccess = 'public' | 'auth' | 'api';

/** One operation a prefix route forwards; every other path under the prefix is a 404 at the gateway. */
export interface AllowedOperation {
  readonly method: 'GET' | 'POST';
  /** As documented (`/auth/sessions/{id}/revoke`). */
  readonly path: string;
  /** Matched against the path as the upstream will see it (`limitedPathOf`: dot segments resolved, escapes decoded). */
  readonly pattern: RegExp;
  /** A browser's session cookie may stand for the bearer token here (its access token attached, CSRF checked). */
  readonly session?: boolean;
  /** False: the operation takes no body, and one sent is refused here (400 `body_not_accepted`), never forwarded. */
  readonly body?: boolean;
}

export interface GatewayRoute {
  /** Upstream name, for messages and metrics. */
  readonly name: 'auth' | ApiRouteName;
  /** What the client calls (`/api/orders`); both the prefix itself and everything under it. */
  readonly prefix: string;
  /** What the upstream receives in its place (`/orders`). */
  readonly rewritePrefix: string;
  readonly upstream: string;
  readonly access: RouteAccess;
  /** The platform's input and error rules for the route (default: JSON bodies, platform error shape). */
  readonly rules?: RouteRules;
  /** When set, only these operations are forwarded (auth's routes); absent: everything under the prefix (the APIs). */
  readonly allow?: readonly AllowedOperation[];
}

/**
 * The OAuth endpoints take form bodies (RFC 6749 §3.2: the token endpoint's parameters are
 * `application/x-www-form-urlencoded`) and every refusal, the gateway's own included, is in RFC 6749
 * §5.2 form: an OAuth client library parses `{ error, error_description }` and nothing else. The same
 * rules auth declares on its own `/oauth/*` routes.
 */
const OAUTH_RULES: RouteRules = { acceptsForm: true, errorStyle: 'rfc6749' };

const op = (method: AllowedOperation['method'], path: string, options: { session?: boolean; body?: boolean } = {}): AllowedOperation => ({
  method,
  path,
  pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[a-z]+\}/g, '[^/]+')}$`),
  session: options.session ?? false,
  body: options.body ?? true,
});

/**
 * What of auth browsers and apps reach through the gateway. No operation that takes a password
 * is here (`/auth/login`, `/auth/register`, `/auth/password`, `/auth/admin-token`: 404 at the
 * gateway): a password is typed into auth's own hosted pages only (RFC 9700 §2.4: no
 * resource-owner password credentials), so the gateway never receives one. First-party
 * non-browser clients that still log in with JSON call auth directly. Auth's browser pages
 * (`/oauth/authorize`, the login form, `/oauth/logout`) are reached at GATEWAY_AUTH_PUBLIC_URL,
 * not here.
 */
export const AUTH_OPERATIONS: readonly AllowedOperation[] = [
  op('POST', '/auth/logout', { session: true }),
  op('POST', '/auth/logout-all', { session: true, body: false }),
  op('GET', '/auth/sessions', { session: true, body: false }),
  op('POST', '/auth/sessions/{id}/revoke', { session: true, body: false }),
  // The account page's API keys (issue 22): listed, created (shown once), revoked, rotated.
  op('GET', '/auth/api-keys', { session: true, body: false }),
  op('POST', '/auth/api-keys', { session: true }),
  op('POST', '/auth/api-keys/{id}/revoke', { session: true, body: false }),
  op('POST', '/auth/api-keys/{id}/rotate', { session: true }),
  op('POST', '/auth/verify-email'),
  op('POST', '/auth/unlock'),
];

/** The OAuth endpoints of machines (token, revocation, introspection, userinfo); never a browser page. */
export const OAUTH_OPERATIONS: readonly AllowedOperation[] = [
  op('POST', '/oauth/token'),
  op('POST', '/oauth/revoke'),
  op('POST', '/oauth/introspect'),
  op('GET', '/oauth/userinfo'),
  op('POST', '/oauth/userinfo'),
];

export const WELL_KNOWN_OPERATIONS: readonly AllowedOperation[] = [
  op('GET', '/.well-known/jwks.json'),
  op('GET', '/.well-known/openid-configuration'),
  op('GET', '/.well-known/oauth-authorization-server'),
];

/** The operation of `route` that `method path` is, or undefined (a 404 at the gateway). HEAD counts as GET. */
export function allowedOperation(route: GatewayRoute, method: string, path: string): AllowedOperation | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return route.allow?.find((o) => o.method === m && o.pattern.test(path));
}

/** The routing table (docs/architecture.md, "Gateway routes"). */
export function gatewayRoutes(settings: GatewaySettings): readonly GatewayRoute[] {
  return [
    { name: 'auth', prefix: '/auth', rewritePrefix: '/auth', upstream: settings.authUrl, access: 'auth', allow: AUTH_OPERATIONS },
    {
      name: 'auth',
      prefix: '/oauth',
      rewritePrefix: '/oauth',
      upstream: settings.authUrl,
      access: 'public',
      rules: OAUTH_RULES,
      allow: OAUTH_OPERATIONS,
    },
    {
      name: 'auth',
      prefix: '/.well-known',
      rewritePrefix: '/.well-known',
      upstream: settings.authUrl,
      access: 'public',
      allow: WELL_KNOWN_OPERATIONS,
    },
    { name: 'orders', prefix: '/api/orders', rewritePrefix: '/orders', upstream: settings.ordersUrl, access: 'api' },
    { name: 'profiles', prefix: '/api/profiles', rewritePrefix: '/profiles', upstream: settings.profilesUrl, access: 'api' },
  ];
}
