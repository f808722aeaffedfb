import type { DpopKey } from '@authmesh/service-auth';
import {
  type DpopRequest,
  InvalidTokenHttpError,
  TokenMissingError,
  TokenRevokedError,
  type VerifiedToken,
} from '@authmesh/token-verifier';
import { notePrincipal } from '@authmesh/platform';
import type { FastifyRequest } from 'fastify';
import type { ApiRouteName, GatewaySettings } from '../config/gateway.config.js';
import {
  BodyNotAcceptedError,
  DpopNotProxiedError,
  RouteNotProxiedError,
  SessionExpiredError,
  UserTokenRequiredError,
} from '../errors/gateway-errors.js';
import type { TokenExchanger } from '../exchange/token-exchanger.js';
import type { ForwardContext } from '../proxy/forward-headers.js';
import { type GatewayRoute, allowedOperation } from '../proxy/routes.js';
import { limitedPathOf } from '../rate-limit/login-rate-limiter.js';
import { allowedOriginsOf, checkCsrf } from '../session/csrf.js';
import type { SessionService } from '../session/session.service.js';
import type { EdgeAudience, EdgeVerifier } from './edge-verifier.js';
import { type ApiKeyAccess, takeApiKey } from '../api-keys/api-key-access.js';

/** What the edge decided for one request: the Authorization the upstream gets (undefined: the client's, unchanged; `/auth/*` and public routes only). */
export interface EdgeDecision {
  readonly authorization: string | undefined;
  /** The gateway's own DPoP proof for the upstream request (with `Authorization: DPoP <internal token>`); the client's is never forwarded then. */
  readonly dpop?: string;
}

/** A request body is coming (RFC 9112 §6.3: Content-Length above 0, or Transfer-Encoding). */
export function hasBody(request: Pick<FastifyRequest, 'headers'>): boolean {
  return Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
}

/** The scheme of the first Authorization header, lower-cased (RFC 9110 §11.1: case-insensitive). */
function authorizationScheme(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.toLowerCase() === 'authorization') return rawHeaders[i + 1]!.trim().split(/\s/, 1)[0]!.toLowerCase();
  return undefined;
}

function hasAuthorizationHeader(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'authorization') return true;
  return false;
}

/**
 * The edge's access rules for a routed request, run before anything is forwarded:
 *
 * - **allow-list**: auth's prefixes forward only the operations listed in `proxy/routes.ts`;
 *   any other path under them is a 404 here (none that takes a password is listed).
 * - **bearer mode** (an Authorization header): the token must verify for the routed service's
 *   audience (`auth` on `/auth/*`, forwarded unchanged there: auth is its audience). On `/api/*` it must be a user's
 *   token: a client-credentials token (`sub === client_id`) is refused, 403 `user_token_required`. A session cookie on the same request
 *   is ignored: Authorization wins, so an API client is never silently switched to a browser
 *   session, and a request's identity is the one it states.
 * - **BFF mode** (no Authorization, a session cookie; `/api/*`, and the account operations of
 *   `/auth/*` marked `session` — sessions, revoke one, logout, logout-all — for audience auth): the session must be live, an
 *   unsafe method must pass the CSRF check, its access token (refreshed if about to expire) must
 *   verify like a bearer token, and it is attached as `Authorization: Bearer`. A session whose
 *   own access token is revoked (its family revoked elsewhere, the user disabled) is ended: 401
 *   `session_expired` and the cookie cleared, rather than a session that can only ever answer 401.
 * - **token exchange** (every `/api` route, fail-closed): after either mode, the user token is
 *   exchanged (RFC 8693) for one whose `aud` is the routed service alone, which replaces
 *   Authorization upstream. A token that crosses a hop is good for that hop only: a backend that
 *   is compromised or logs headers holds a token auth and every other service refuse. When auth
 *   can't be reached for an exchange that isn't cached, the answer is 503 with Retry-After, never
 *   the wide token instead. Routes in GATEWAY_FORWARD_UNCHANGED_ROUTES get the user's own token:
 *   an explicit choice that trusts that service with everything the token grants.
 * - **DPoP** (RFC 9449; docs/decisions/010-dpop-gateway-and-replay.md): `Authorization: DPoP` with a
 *   proof for the gateway's public URL is checked here like at any service (a bound token sent as
 *   Bearer is refused). A token bound to the client's key (`cnf.jkt`) is exchanged with the
 *   gateway's own proof, so auth binds the internal token to the GATEWAY's key, and forwarded as
 *   `Authorization: DPoP` with a fresh gateway proof for the upstream's URL: a token captured
 *   between the gateway and a service is useless without the gateway's key. This holds on
 *   forward-unchanged routes too (the client's proof names the gateway's URL and is spent here,
 *   so the client's token could never be forwarded with it). On `/auth/*` the DPoP scheme is
 *   refused (400 `dpop_not_proxied`): DPoP clients call auth directly; the web app's account
 *   page uses its cookie session.
 */
export class EdgeAccess {
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly forwardUnchanged: ReadonlySet<ApiRouteName>;

  constructor(
    private readonly verifier: EdgeVerifier,
    private readonly sessions: SessionService,
    private readonly exchanger: TokenExchanger,
    private readonly settings: GatewaySettings,
    /** The gateway's own DPoP key (one per process): internal tokens of DPoP requests are bound to it. */
    private readonly dpopKey?: DpopKey,
    private readonly apiKeys?: ApiKeyAccess,
  ) {
    this.allowedOrigins = allowedOriginsOf(settings);
    this.forwardUnchanged = new Set(settings.forwardUnchangedRoutes);
  }

  /** Throws the AppError to answer with (401, 403, 404, 503…) when the request must not be forwarded. */
  async decide(route: GatewayRoute, request: FastifyRequest, ctx: ForwardContext): Promise<EdgeDecision> {
    const rawHeaders = request.raw.rawHeaders;
    // Judged on the path the upstream will see (dot segments resolved, escapes decoded), so
    // `/auth/./login` or `/auth/%6Cogin` is the same 404 as `/auth/login`.
    const operation = route.allow === undefined ? undefined : allowedOperation(route, request.method, limitedPathOf(request.url));
    if (route.allow !== undefined && operation === undefined)
      throw new RouteNotProxiedError(`${request.method} ${limitedPathOf(request.url).slice(0, 200)} is not on the gateway's allow-list`);
    // A body where none is taken (logout-all, sessions) is refused rather than forwarded: whatever
    // a client puts there (a password, say) never reaches auth through the gateway.
    if (operation?.body === false && hasBody(request))
      throw new BodyNotAcceptedError(
        `${request.method} ${operation.path} with a body (${request.headers['content-type'] ?? 'no content-type'})`,
      );
    // Taken off the request on every route: a key never reaches an upstream (issue 22).
    const apiKey = takeApiKey(request, this.settings.sessionCookieName);
    if (route.access === 'public') return { authorization: undefined };
    if (route.access === 'auth') {
      // A bearer token must be good for audience `auth` (forwarded unchanged: auth is its audience).
      if (hasAuthorizationHeader(rawHeaders)) {
        // The client's proof names the gateway's URL and would be spent here: forwarded, auth
        // refuses it (another htu, or a replay), and the gateway has no proof of the client's key
        // to make for auth. Refused up front with a code that says what to do instead.
        if (authorizationScheme(rawHeaders) === 'dpop')
          throw new DpopNotProxiedError(`${request.method} ${limitedPathOf(request.url).slice(0, 200)} with the DPoP scheme`);
        await this.verifier.verifyRequest('auth', rawHeaders, () => clientRequestOf(request));
        return { authorization: undefined };
      }
      // The web app's account page: the session's own access token (it carries audience auth).
      const cookie = request.cookies?.[this.settings.sessionCookieName];
      if (operation?.session && cookie !== undefined) {
        const { token } = await this.sessionToken('auth', cookie, request, ctx);
        return { authorization: `Bearer ${token}` };
      }
      return { authorization: undefined };
    }
    const audience = route.name as ApiRouteName;
    if (apiKey !== undefined && this.apiKeys) return { authorization: await this.apiKeys.authorize(apiKey, audience, ctx) };

    if (hasAuthorizationHeader(rawHeaders)) {
      const { verified, credentials } = await this.verifier.verifyRequest(audience, rawHeaders, () => clientRequestOf(request));
      requireUserToken(verified, audience);
      notePrincipal(request, verified.principal);
      const token = typeof credentials === 'string' ? credentials : credentials.token;
      if (verified.claims.cnf !== undefined) return this.boundUpstream(route, audience, token, verified.claims.exp, request, ctx);
      return { authorization: await this.upstreamAuthorization(audience, token, verified.claims.exp, ctx) };
    }

    const cookie = request.cookies?.[this.settings.sessionCookieName];
    if (cookie === undefined) {
      // No credentials at all: the same 401 the service would give (WWW-Authenticate: Bearer).
      await this.verifier.verify(audience, () => {
        throw new TokenMissingError('no Authorization header and no session cookie');
      });
    }
    const { token, verified } = await this.sessionToken(audience, cookie, request, ctx);
    requireUserToken(verified, audience);
    notePrincipal(request, verified.principal);
    return { authorization: await this.upstreamAuthorization(audience, token, verified.claims.exp, ctx) };
  }

  /**
   * BFF mode: the live session of the cookie, the CSRF check for an unsafe method, and its access
   * token (refreshed if about to expire) verified for `audience`. A session whose own access token
   * is revoked is ended (401 `session_expired`).
   */
  private async sessionToken(
    audience: EdgeAudience,
    cookie: string | undefined,
    request: FastifyRequest,
    ctx: ForwardContext,
  ): Promise<{ token: string; verified: VerifiedToken }> {
    const session = await this.sessions.authenticate(cookie);
    const header = (name: string): string | undefined => {
      const v = request.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    checkCsrf(
      { method: request.method, origin: header('origin'), referer: header('referer'), csrfToken: header('x-csrf-token') },
      session.record.csrfToken,
      this.allowedOrigins,
    );
    const access = await this.sessions.accessToken(session, ctx);
    try {
      return { token: access, verified: await this.verifier.verify(audience, access) };
    } catch (e) {
      if (e instanceof InvalidTokenHttpError && e.code === TokenRevokedError.code) {
        // Its refresh token is dead too (auth revokes a family with its access tokens): keeping
        // the session would only answer 401 token_revoked until it timed out.
        await this.sessions.discard(session);
        throw new SessionExpiredError("the session's access token is revoked");
      }
      throw e;
    }
  }

  /**
   * A DPoP-bound user token: exchanged with the gateway's proof (the internal token is bound to the
   * gateway's key), forwarded as `DPoP` with a fresh gateway proof for the URL the upstream sees.
   */
  private async boundUpstream(
    route: GatewayRoute,
    audience: ApiRouteName,
    token: string,
    exp: number,
    request: FastifyRequest,
    ctx: ForwardContext,
  ): Promise<EdgeDecision> {
    if (this.dpopKey === undefined) throw new Error('EdgeAccess: a DPoP-bound token without the gateway DPoP key (wiring)');
    const internal = await this.exchanger.exchange(token, exp, audience, ctx, 'dpop');
    const proof = await this.dpopKey.proof(request.method, upstreamUrlOf(route, request.raw.url ?? request.url), { accessToken: internal });
    return { authorization: `DPoP ${internal}`, dpop: proof };
  }

  /** The Authorization the upstream of `/api/<audience>` gets: an exchanged token, or (forward-unchanged routes) the user's own. */
  private async upstreamAuthorization(audience: ApiRouteName, token: string, exp: number, ctx: ForwardContext): Promise<string> {
    if (this.forwardUnchanged.has(audience)) return `Bearer ${token}`;
    return `Bearer ${await this.exchanger.exchange(token, exp, audience, ctx)}`;
  }
}

/**
 * The public `/api/*` routes are for users: a client-credentials token (the client acting for
 * itself, `sub === client_id`) would let any holder of a service's secret use the user API from
 * outside (e.g. read any user's profile by id). Services call each other directly, not through here.
 */
function requireUserToken(verified: VerifiedToken, audience: ApiRouteName): void {
  if (verified.principal.isService)
    throw new UserTokenRequiredError(`client-credentials token of ${JSON.stringify(verified.principal.clientId)} on /api/${audience}`);
}

/** The request as the client sent it, for its DPoP proof (checked against GATEWAY_PUBLIC_ORIGIN). */
function clientRequestOf(request: FastifyRequest): DpopRequest {
  return { method: request.method, target: request.raw.url ?? request.url, host: request.headers.host };
}

/**
 * The URL the upstream receives for `target` (the `htu` of the gateway's proof): the route's
 * prefix rewritten as @fastify/http-proxy does (`/api/orders/x` → `/orders/x`), on the upstream's
 * origin, without the query (RFC 9449 §4.3 check 9 leaves it out).
 */
export function upstreamUrlOf(route: Pick<GatewayRoute, 'prefix' | 'rewritePrefix' | 'upstream'>, target: string): string {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const rewritten = path.startsWith(route.prefix) ? route.rewritePrefix + path.slice(route.prefix.length) : path;
  const url = new URL(rewritten === '' ? '/' : rewritten, route.upstream);
  return `${url.origin}${url.pathname}`;
}
