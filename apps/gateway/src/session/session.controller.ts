import { InjectConfig, Public, schemaRef } from '@authmesh/platform';
import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config/gateway.config.js';
import { BodyNotAcceptedError, LoginStateMismatchError, LoginStateMissingError, SessionExpiredError } from '../errors/gateway-errors.js';
import { CSRF_SCHEME, SESSION_SCHEME } from '../gateway.openapi.js';
import { hasBody } from '../edge/edge-access.js';
import { forwardContextOf } from '../proxy/forward-headers.js';
import { allowedOriginsOf, checkCsrf } from './csrf.js';
import { LoginCookie } from './login-cookie.js';
import { HTML_SECURITY_HEADERS, sendLoginError } from './login-error-page.js';
import { AuthRelyingParty } from './oidc/auth-relying-party.js';
import { PendingLogins } from './pending-login.js';
import { safeReturnTo } from './return-to.js';
import { SessionCookie } from './session-cookie.js';
import { SessionService, type SessionView } from './session.service.js';

/** What `POST /session/logout` answers: where to send the browser to end the SSO session at auth too. */
export interface LogoutAnswer {
  authenticated: false;
  /** Auth's end_session_endpoint (OIDC RP-Initiated Logout) with id_token_hint, client_id, post_logout_redirect_uri; absent when auth announces none. */
  logoutUrl?: string;
}

/**
 * The browser's session endpoints (BFF), on the authorization code flow: the gateway never sees
 * a password — the user types it into auth's own page. Responses carry `Cache-Control: no-store`:
 * they hold the CSRF token or a login's state.
 */
@Public()
@Controller('session')
export class SessionController {
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly publicOrigin: string;
  private readonly publicOrigins: readonly string[];

  constructor(
    private readonly sessions: SessionService,
    private readonly cookie: SessionCookie,
    private readonly loginCookie: LoginCookie,
    private readonly relyingParty: AuthRelyingParty,
    private readonly pending: PendingLogins,
    @InjectConfig() config: GatewayConfig,
  ) {
    this.allowedOrigins = allowedOriginsOf(config.gateway);
    this.publicOrigin = config.gateway.publicOrigin;
    this.publicOrigins = config.gateway.publicOrigins;
  }

  /**
   * Starts a login: a fresh state, nonce and PKCE verifier kept for THIS browser (the login
   * cookie names them), then 302 to auth's authorization endpoint. Safe as a GET: it creates no
   * session, only a pending login that its own callback consumes.
   */
  @Get('login')
  @ApiOperation({ summary: "Start a browser login: 302 to auth's authorization endpoint (code flow, PKCE S256, state, nonce)" })
  @ApiQuery({ name: 'return_to', required: false, description: 'A same-origin path to land on after login (anything else: `/`).' })
  @ApiFoundResponse({ description: "Location: auth's authorization endpoint; Set-Cookie: the login cookie." })
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    // The login cookie is per host, and auth sends the browser back to the canonical origin's
    // callback: a login started at http://localhost:3000 would reach http://127.0.0.1:3000 without
    // its cookie (login_state_missing). So another loopback spelling first moves to the canonical one.
    const asked = `${new URL(this.publicOrigin).protocol}//${(request.headers.host ?? '').toLowerCase()}`;
    if (asked !== this.publicOrigin && this.publicOrigins.includes(asked))
      return reply.code(302).headers(HTML_SECURITY_HEADERS).header('location', `${this.publicOrigin}${request.url}`).send();
    try {
      const checks = AuthRelyingParty.newChecks();
      const url = await this.relyingParty.authorizationUrl(checks);
      const returnTo = safeReturnTo((request.query as Record<string, unknown> | undefined)?.return_to);
      const id = await this.pending.start({ ...checks, returnTo, startedAt: Date.now() });
      this.loginCookie.set(reply, id);
      return reply.code(302).headers(HTML_SECURITY_HEADERS).header('location', url).send();
    } catch (e) {
      return sendLoginError(request, reply, e);
    }
  }

  /**
   * Where auth sends the browser back. This browser's pending login must exist (taken once: a
   * replayed callback finds none) and its `state` must match; then `iss` (RFC 9207), the code
   * exchange (PKCE verifier, client_secret_basic) and the ID token (nonce) are checked, and the
   * cookie session opens: a new id, the presented one ended (fixation). Any failure is a small
   * page with a stable code and no session.
   */
  @Get('callback')
  @ApiOperation({ summary: "Finish a browser login (auth's redirect): new session cookie, 302 to return_to; an error page otherwise" })
  @ApiFoundResponse({ description: 'Location: the return_to of the login; Set-Cookie: the session cookie.' })
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<FastifyReply> {
    this.loginCookie.clear(reply);
    try {
      const query = new URL(request.url, 'http://gateway.invalid').searchParams;
      const login = await this.pending.take(this.loginCookie.read(request));
      if (!login) throw new LoginStateMissingError('no pending login for this browser (none started, expired, or already used)');
      if (query.getAll('state').length !== 1 || query.get('state') !== login.state)
        throw new LoginStateMismatchError('the state of the callback is not the pending login’s');
      const ctx = forwardContextOf(request, this.publicOrigin);
      const tokens = await this.relyingParty.redeem(query, login, ctx);
      const { id } = await this.sessions.open(tokens, this.cookie.read(request), ctx);
      this.cookie.set(reply, id);
      return reply.code(302).headers(HTML_SECURITY_HEADERS).header('location', login.returnTo).send();
    } catch (e) {
      return sendLoginError(request, reply, e);
    }
  }

  /** `{ authenticated, csrfToken, sub }` for a live session; `{ authenticated: false }` otherwise (and the dead cookie cleared). */
  @Get()
  @ApiOperation({ summary: 'The current session and its CSRF token, or { authenticated: false }' })
  @ApiSecurity({})
  @ApiSecurity(SESSION_SCHEME)
  @ApiOkResponse({ schema: schemaRef('SessionView') })
  async current(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionView> {
    void reply.header('cache-control', 'no-store');
    const id = this.cookie.read(request);
    const view = await this.sessions.view(id);
    if (!view.authenticated && id !== undefined) this.cookie.clear(reply);
    return view;
  }

  /**
   * CSRF-checked: revokes the session's refresh family at auth, deletes the session, clears the
   * cookie, and answers auth's end-session URL, where the app sends the browser to end the SSO
   * session too (OIDC RP-Initiated Logout). Takes no body.
   */
  @Post('logout')
  @HttpCode(200)
  @ApiOperation({
    summary: 'End the session (its refresh family revoked at auth), clear the cookie; answers the URL that ends the SSO session',
  })
  @ApiSecurity({ [SESSION_SCHEME]: [], [CSRF_SCHEME]: [] })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['authenticated'],
      properties: {
        authenticated: { type: 'boolean', enum: [false] },
        logoutUrl: {
          type: 'string',
          format: 'uri',
          description: "Auth's end_session_endpoint with id_token_hint, client_id and post_logout_redirect_uri.",
        },
      },
    },
  })
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<LogoutAnswer> {
    void reply.header('cache-control', 'no-store');
    refuseBody(request);
    let session;
    try {
      session = await this.sessions.authenticate(this.cookie.read(request));
    } catch (e) {
      if (!(e instanceof SessionExpiredError)) throw e;
      // Nothing to end here (idempotent); auth's SSO session may still be live: its page asks to confirm.
      this.cookie.clear(reply);
      return answer(await this.relyingParty.endSessionUrl(undefined));
    }
    checkCsrf({ method: 'POST', ...headersOf(request) }, session.record.csrfToken, this.allowedOrigins);
    await this.sessions.logout(session, forwardContextOf(request, this.publicOrigin));
    this.cookie.clear(reply);
    return answer(await this.relyingParty.endSessionUrl(session.record.idToken));
  }
}

function answer(logoutUrl: string | undefined): LogoutAnswer {
  return logoutUrl === undefined ? { authenticated: false } : { authenticated: false, logoutUrl };
}

/** Logout takes no body: a password (or anything) sent here is refused, never answered 2xx. */
function refuseBody(request: FastifyRequest): void {
  if (hasBody(request) || (request.body !== undefined && request.body !== null))
    throw new BodyNotAcceptedError(`POST /session/logout with a body (${request.headers['content-type'] ?? 'no content-type'})`);
}

function headersOf(request: FastifyRequest): { origin: string | undefined; referer: string | undefined; csrfToken: string | undefined } {
  const h = (name: string): string | undefined => {
    const v = request.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return { origin: h('origin'), referer: h('referer'), csrfToken: h('x-csrf-token') };
}
