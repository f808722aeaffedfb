import { CLIENT_ID_PATTERN, CLIENT_ID_RULE } from '@authmesh/contracts';
import { type BaseConfig, type Env, EnvReader, type EnvTable, envSchemas, envVar, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, readRevocationConfig } from '@authmesh/revocation';
import { type VerifierConfig, httpOriginSchema, readVerifierConfig } from '@authmesh/token-verifier';
import { z } from 'zod';

/** The `/api` routes: each upstream gets a token exchanged (RFC 8693) for its own audience, unless listed in GATEWAY_FORWARD_UNCHANGED_ROUTES. */
export const API_ROUTES = ['orders', 'profiles'] as const;
export type ApiRouteName = (typeof API_ROUTES)[number];

/** The gateway's own settings (GATEWAY_*, and the upstream URLs). */
export interface GatewaySettings {
  /** AUTH_URL (required): where `/auth/*`, `/oauth/*`, `/.well-known/*` go, and where sessions log in/refresh. */
  readonly authUrl: string;
  /** ORDERS_URL (required). */
  readonly ordersUrl: string;
  /** PROFILES_URL (required). */
  readonly profilesUrl: string;
  /**
   * AUTH_ISSUER: auth's issuer identifier (the verifier's), which the gateway's OIDC discovery and
   * the RFC 9207 `iss` check of every authorization response compare against.
   */
  readonly authIssuer: string;
  /**
   * GATEWAY_AUTH_PUBLIC_URL (default AUTH_URL): where browsers reach auth (its authorization and
   * end-session endpoints, the hosted login page). The back channel (discovery, token endpoint)
   * uses AUTH_URL.
   */
  readonly authPublicUrl: string;
  /**
   * GATEWAY_AUTH_ALLOW_HTTP (default false): lets the relying party talk to an `http://` auth that
   * is not on a loopback address (a private network, docker compose). Loopback is always allowed.
   */
  readonly authAllowHttp: boolean;
  /** GATEWAY_LOGIN_SCOPE: the scopes `GET /session/login` asks auth for (`openid` always included). */
  readonly loginScope: string;
  /** GATEWAY_LOGIN_TTL_S (default 600): how long a started login (state, nonce, PKCE verifier) waits for its callback. */
  readonly loginTtlSeconds: number;
  /** GATEWAY_CLIENT_ID (default `gateway`): the gateway's confidential client at auth (browser logins, refresh, token exchange). */
  readonly clientId: string;
  /** GATEWAY_CLIENT_SECRET (required): the gateway's client secret, sent as client_secret_basic. */
  readonly clientSecret: string;
  /**
   * GATEWAY_FORWARD_UNCHANGED_ROUTES (default none): API routes whose upstream gets the user's own
   * token. Every other `/api` route gets a token exchanged for that one service (the default).
   */
  readonly forwardUnchangedRoutes: readonly ApiRouteName[];
  /** GATEWAY_UPSTREAM_TIMEOUT_MS (default 10000): no response headers within this → 504. */
  readonly upstreamTimeoutMs: number;
  /** GATEWAY_CORS_ORIGINS (default none): origins that get CORS headers (with credentials). */
  readonly corsOrigins: readonly string[];
  /** GATEWAY_PUBLIC_ORIGIN (default `http://<HOST>:<PORT>`): the origin browsers use. */
  readonly publicOrigin: string;
  /**
   * The origins that are the gateway itself (CSRF and login Origin checks): the public origin, and
   * when it is the default on a loopback address, both loopback spellings (`127.0.0.1`, `localhost`).
   */
  readonly publicOrigins: readonly string[];
  /** `__Host-authmesh_session` when the public origin is https, else `authmesh_session`. */
  readonly sessionCookieName: string;
  /** `__Host-authmesh_login` when the public origin is https, else `authmesh_login`: binds a started login to its browser. */
  readonly loginCookieName: string;
  /** GATEWAY_SESSION_IDLE_S (default 1800): a session unused this long is over (sliding). */
  readonly sessionIdleSeconds: number;
  /** GATEWAY_SESSION_ABSOLUTE_S (default 43200): a session is over this long after login, used or not. */
  readonly sessionAbsoluteSeconds: number;
  /** GATEWAY_SESSION_REFRESH_BEFORE_S (default 30): refresh the access token when it expires within this. */
  readonly sessionRefreshBeforeSeconds: number;
  /** GATEWAY_LOGIN_RATE_PER_MIN (default 20): per client address, on each of GET /session/login, GET /session/callback, POST /oauth/token. */
  readonly loginRatePerMinute: number;
  /** GATEWAY_REDIS_KEY_PREFIX (default `gateway:`): namespace of sessions, locks and rate-limit counters in Redis. */
  readonly redisKeyPrefix: string;
  /** GATEWAY_PROXY_SECRET (auth's AUTH_PROXY_SECRET): proves to auth that the gateway wrote X-Forwarded-For. */
  readonly proxySecret?: string;
  /** GATEWAY_SECRET_RATE_PER_MIN (default 60): per client address, on each other endpoint that checks a password or client secret. */
  readonly secretRatePerMinute: number;
  /** GATEWAY_API_KEY_RATE_PER_MIN (default 600): requests per API key per minute, across replicas. */
  readonly apiKeyRatePerMinute: number;
  /** GATEWAY_API_KEY_FAILURES_PER_MIN (default 20): refused API keys per client address per minute before 429 (guessing). */
  readonly apiKeyFailuresPerMinute: number;
}

export interface GatewayConfig extends BaseConfig {
  /** How the edge verifies tokens; `audience` is unused (each route has its own). */
  verifier: VerifierConfig;
  revocation: RevocationConfig;
  gateway: GatewaySettings;
  /** The clock (ms since the epoch) of edge verification, sessions and the exchange cache; code-only, for tests. */
  now?: () => number;
}

const httpUrl = envSchemas.url(['http', 'https']);
const clientId = z.string().regex(CLIENT_ID_PATTERN, `must be ${CLIENT_ID_RULE}`);

/** `scheme://host[:port]` exactly (no path, no trailing slash), as browsers send in `Origin`. */
const origin = httpOriginSchema;

const words = z.string().transform((v) => v.split(/[\s,]+/).filter(Boolean));
const origins = words.pipe(z.array(origin));
const apiRoutes = words.pipe(z.array(z.enum(API_ROUTES, `each entry must be one of: ${API_ROUTES.join(', ')}`)));
const keyPrefix = z.string().regex(/^[A-Za-z0-9:._-]{0,64}$/, 'must be at most 64 of A-Z a-z 0-9 : . _ -');

const rate = envSchemas.int(1, 1_000_000);

/** The gateway's own variables (GATEWAY_*, and the upstream URLs); problems are reported in this order. */
export const GATEWAY_ENV = {
  forwardUnchangedRoutes: envVar.withDefault('GATEWAY_FORWARD_UNCHANGED_ROUTES', apiRoutes, '', {
    description: `API routes (${API_ROUTES.join(', ')}) whose upstream gets the user's own token; every other \`/api\` route gets a token exchanged (RFC 8693) for that one service.`,
  }),
  clientSecret: envVar.required('GATEWAY_CLIENT_SECRET', z.string().min(1), {
    description: "The gateway's client secret at auth (client_secret_basic): browser logins (code flow), session refresh, token exchange.",
    hint: "the secret of the gateway's client seeded at auth (AUTH_SEED_CLIENTS)",
    secret: true,
  }),
  publicOrigin: envVar.optional('GATEWAY_PUBLIC_ORIGIN', origin, {
    description: 'The origin browsers use (CSRF and login Origin checks; https makes the session cookie `__Host-`).',
    derivedDefault: '`http://<HOST>:<PORT>` (127.0.0.1 for a wildcard HOST)',
  }),
  authUrl: envVar.required('AUTH_URL', httpUrl, {
    description:
      'Where `/auth/*`, `/oauth/*` and `/.well-known/*` go, and where the gateway discovers auth, redeems codes and refreshes sessions.',
    hint: "the auth service's URL, e.g. http://127.0.0.1:3001",
  }),
  authPublicUrl: envVar.optional('GATEWAY_AUTH_PUBLIC_URL', httpUrl, {
    description:
      "Where browsers reach auth (authorization and end-session endpoints, the hosted login page); the gateway's redirects point there.",
    derivedDefault: 'AUTH_URL',
  }),
  authAllowHttp: envVar.withDefault('GATEWAY_AUTH_ALLOW_HTTP', envSchemas.bool, 'false', {
    description:
      'Allow an `http://` AUTH_ISSUER / AUTH_URL / GATEWAY_AUTH_PUBLIC_URL that is not a loopback address (a private network); loopback is always allowed.',
  }),
  loginScope: envVar.withDefault('GATEWAY_LOGIN_SCOPE', words, 'openid orders:read orders:write profiles:read profiles:write', {
    description: 'The scopes a browser login asks auth for (space-separated; `openid` is always added: the gateway needs the ID token).',
  }),
  loginTtlSeconds: envVar.withDefault('GATEWAY_LOGIN_TTL_S', envSchemas.int(30, 3600), '600', {
    description: 'How long a started browser login (state, nonce, PKCE verifier) waits for its callback.',
  }),
  ordersUrl: envVar.required('ORDERS_URL', httpUrl, {
    description: 'The orders service (`/api/orders`).',
    hint: "the orders service's URL, e.g. http://127.0.0.1:3002",
  }),
  profilesUrl: envVar.required('PROFILES_URL', httpUrl, {
    description: 'The profiles service (`/api/profiles`).',
    hint: "the profiles service's URL, e.g. http://127.0.0.1:3003",
  }),
  clientId: envVar.withDefault('GATEWAY_CLIENT_ID', clientId, 'gateway', {
    description: "The gateway's confidential client at auth: browser logins (code flow), session refresh, token exchange.",
  }),
  upstreamTimeoutMs: envVar.withDefault('GATEWAY_UPSTREAM_TIMEOUT_MS', envSchemas.int(50, 600_000), '10000', {
    description: 'No response headers from an upstream within this: 504 `upstream_timeout`.',
  }),
  corsOrigins: envVar.withDefault('GATEWAY_CORS_ORIGINS', origins, '', {
    description: 'Origins that get CORS headers, with credentials (space- or comma-separated).',
  }),
  sessionIdleSeconds: envVar.withDefault('GATEWAY_SESSION_IDLE_S', envSchemas.int(1, 30 * 86_400), '1800', {
    description: 'A browser session unused this long is over (sliding).',
  }),
  sessionAbsoluteSeconds: envVar.withDefault('GATEWAY_SESSION_ABSOLUTE_S', envSchemas.int(1, 90 * 86_400), '43200', {
    description: 'A browser session is over this long after login, used or not.',
  }),
  sessionRefreshBeforeSeconds: envVar.withDefault('GATEWAY_SESSION_REFRESH_BEFORE_S', envSchemas.int(0, 3600), '30', {
    description: "A session's access token is refreshed when it expires within this.",
  }),
  loginRatePerMinute: envVar.withDefault('GATEWAY_LOGIN_RATE_PER_MIN', rate, '20', {
    description: 'Per client address, on each of `GET /session/login`, `GET /session/callback` and `POST /oauth/token`.',
  }),
  redisKeyPrefix: envVar.withDefault('GATEWAY_REDIS_KEY_PREFIX', keyPrefix, 'gateway:', {
    description: 'Namespace of sessions, locks and rate-limit counters in Redis.',
  }),
  proxySecret: envVar.optional('GATEWAY_PROXY_SECRET', z.string().min(32, 'must be at least 32 characters (openssl rand -base64 32)'), {
    description: "Auth's AUTH_PROXY_SECRET: proves to auth that the gateway wrote X-Forwarded-For.",
    secret: true,
  }),
  secretRatePerMinute: envVar.withDefault('GATEWAY_SECRET_RATE_PER_MIN', rate, '60', {
    description: 'Per client address, on each other endpoint that checks a password or client secret.',
  }),
  apiKeyRatePerMinute: envVar.withDefault('GATEWAY_API_KEY_RATE_PER_MIN', rate, '600', {
    description: 'Requests per API key per minute (all replicas together, in Redis); then 429 `api_key_rate_limited`.',
  }),
  apiKeyFailuresPerMinute: envVar.withDefault('GATEWAY_API_KEY_FAILURES_PER_MIN', rate, '20', {
    description: 'Refused API keys per client address per minute; then 429 `api_key_guess_limited` before any key is checked.',
  }),
} satisfies EnvTable;

/** Reads the gateway's configuration; throws one ConfigError naming every bad variable. */
export function loadGatewayConfig(env: Env): GatewayConfig {
  const reader = new EnvReader(env);
  const base = readBaseConfig('gateway', reader, env);
  const verifier = readVerifierConfig(reader, 'gateway');
  const revocation = readRevocationConfig(reader);
  // Exchange is the default now; an old setting naming the exchanged routes would silently mean
  // nothing, so it stops start-up and says what replaced it.
  if (reader.isSet('GATEWAY_EXCHANGE_ROUTES')) {
    reader.problem(
      'GATEWAY_EXCHANGE_ROUTES',
      'was removed: every /api route is exchanged by default; list routes that must get the original token in GATEWAY_FORWARD_UNCHANGED_ROUTES',
    );
  }
  if (reader.isSet('GATEWAY_USER_CLIENT_ID')) {
    reader.problem(
      'GATEWAY_USER_CLIENT_ID',
      'was removed: browser sessions log in with the authorization code flow as GATEWAY_CLIENT_ID and refresh as that client',
    );
  }
  const v = reader.read(GATEWAY_ENV);
  if (v !== undefined && verifier !== undefined && !v.authAllowHttp) {
    // RFC 9700 §2.6 / OIDC: tokens and codes cross these channels; plain http is only acceptable
    // where no network is crossed (loopback, RFC 8252 §8.3) or where an operator says so.
    for (const [name, url] of [
      ['AUTH_ISSUER', verifier.issuer],
      ['AUTH_URL', v.authUrl],
      ['GATEWAY_AUTH_PUBLIC_URL', v.authPublicUrl],
    ] as const) {
      if (url !== undefined && !isSecureOrLoopback(url))
        reader.problem(name, 'is http:// on a non-loopback host: use https, or set GATEWAY_AUTH_ALLOW_HTTP=true on a private network');
    }
  }
  const parts = reader.finish('gateway', { base, verifier, revocation, v });
  const listenHost = parts.base.host === '0.0.0.0' || parts.base.host === '::' ? '127.0.0.1' : parts.base.host;
  const g = parts.v;
  const publicOrigin = g.publicOrigin ?? `http://${listenHost}:${parts.base.port}`;
  const authUrl = stripSlash(g.authUrl);
  const gateway: GatewaySettings = {
    authUrl,
    authIssuer: parts.verifier.issuer,
    authPublicUrl: g.authPublicUrl === undefined ? authUrl : stripSlash(g.authPublicUrl),
    authAllowHttp: g.authAllowHttp,
    loginScope: [...new Set(['openid', ...g.loginScope])].join(' '),
    loginTtlSeconds: g.loginTtlSeconds,
    ordersUrl: stripSlash(g.ordersUrl),
    profilesUrl: stripSlash(g.profilesUrl),
    clientId: g.clientId,
    clientSecret: g.clientSecret,
    forwardUnchangedRoutes: [...new Set(g.forwardUnchangedRoutes)],
    upstreamTimeoutMs: g.upstreamTimeoutMs,
    corsOrigins: g.corsOrigins,
    publicOrigin,
    publicOrigins: g.publicOrigin === undefined ? loopbackSpellings(publicOrigin) : [publicOrigin],
    // RFC 6265bis §4.1.3.2: a `__Host-` cookie must be Secure, Path=/ and have no Domain, so only
    // this origin can set or overwrite it (no sibling subdomain can plant one). Browsers accept it
    // only from a secure origin, hence the plain name over http (local use).
    sessionCookieName: publicOrigin.startsWith('https:') ? '__Host-authmesh_session' : 'authmesh_session',
    loginCookieName: publicOrigin.startsWith('https:') ? '__Host-authmesh_login' : 'authmesh_login',
    sessionIdleSeconds: g.sessionIdleSeconds,
    sessionAbsoluteSeconds: g.sessionAbsoluteSeconds,
    sessionRefreshBeforeSeconds: g.sessionRefreshBeforeSeconds,
    loginRatePerMinute: g.loginRatePerMinute,
    redisKeyPrefix: g.redisKeyPrefix,
    proxySecret: g.proxySecret,
    secretRatePerMinute: g.secretRatePerMinute,
    apiKeyRatePerMinute: g.apiKeyRatePerMinute,
    apiKeyFailuresPerMinute: g.apiKeyFailuresPerMinute,
  };
  return { ...parts.base, verifier: parts.verifier, revocation: parts.revocation, gateway };
}

/**
 * A default origin on a loopback address in both spellings: a browser opened at
 * `http://localhost:3000` sends `Origin: http://localhost:3000`, which must pass the CSRF check of
 * a gateway whose default origin says `127.0.0.1`. Both name this machine only, so accepting them
 * admits no other site. An explicit GATEWAY_PUBLIC_ORIGIN is taken literally.
 */
function loopbackSpellings(defaultOrigin: string): string[] {
  // An IPv6 HOST written without brackets leaves no parsable origin; nothing to add then.
  if (!URL.canParse(defaultOrigin)) return [defaultOrigin];
  const url = new URL(defaultOrigin);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') return [defaultOrigin];
  const port = url.port ? `:${url.port}` : '';
  return [...new Set([defaultOrigin, `${url.protocol}//127.0.0.1${port}`, `${url.protocol}//localhost${port}`])];
}

/** https, or http to a loopback host (localhost, 127.0.0.0/8, [::1]): no network in between. */
export function isSecureOrLoopback(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'https:') return true;
  return u.hostname === 'localhost' || u.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(u.hostname);
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
