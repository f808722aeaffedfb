import type { RouteRules } from '@authmesh/platform';
import type { ApiRouteName, GatewaySettings } from '../config/gateway.config.js';

/**
 * How the edge treats a route:
 * - `public`: passes through untouched (OAuth endpoints authenticate clients themselves; discovery and JWKS are public);
 * - `auth`: a bearer token, when present, must be good for audience `auth` (logout, password); bearer-less requests (login, register) pass;
 * - `api`: a user token (bearer, or the session's) good for the routed service is required.
 */
export type RouteAccess = 'public' | 'auth' | 'api';

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
}

/**
 * The OAuth endpoints take form bodies (RFC 6749 §3.2: the token endpoint's parameters are
 * `application/x-www-form-urlencoded`) and every refusal, the gateway's own included, is in RFC 6749
 * §5.2 form: an OAuth client library parses `{ error, error_description }` and nothing else. The same
 * rules auth declares on its own `/oauth/*` routes.
 */
const OAUTH_RULES: RouteRules = { acceptsForm: true, errorStyle: 'rfc6749' };

/** The routing table (docs/architecture.md, "Gateway routes"). */
export function gatewayRoutes(settings: GatewaySettings): readonly GatewayRoute[] {
  return [
    { name: 'auth', prefix: '/auth', rewritePrefix: '/auth', upstream: settings.authUrl, access: 'auth' },
    { name: 'auth', prefix: '/oauth', rewritePrefix: '/oauth', upstream: settings.authUrl, access: 'public', rules: OAUTH_RULES },
    { name: 'auth', prefix: '/.well-known', rewritePrefix: '/.well-known', upstream: settings.authUrl, access: 'public' },
    { name: 'orders', prefix: '/api/orders', rewritePrefix: '/orders', upstream: settings.ordersUrl, access: 'api' },
    { name: 'profiles', prefix: '/api/profiles', rewritePrefix: '/profiles', upstream: settings.profilesUrl, access: 'api' },
  ];
}
