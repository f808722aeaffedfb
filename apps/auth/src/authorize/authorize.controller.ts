import { Body, Controller, Get, Header, Ip, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, Public, Rules } from '@authmesh/platform';
import { LoginService } from '../accounts/login.service.js';
import { InvalidCredentials } from '../accounts/users.service.js';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { AUTH_STYLESHEET } from './auth-stylesheet.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { AuthorizePageError, AuthorizeRedirectError, FormCsrfFailed } from './authorize.errors.js';
import { AuthorizeFlow, type AuthorizeStep } from './authorize-flow.service.js';
import { FormCsrf } from './form-csrf.js';
import { originOf, sendPage, sendRedirect } from './page-response.js';
import { consentPage, loginPage, signedInPage } from './pages.js';
import { readSsoCookie, setSsoCookie } from './sso-cookie.js';
import { type LiveSsoSession, SsoSessions } from './sso-sessions.service.js';
import { ACCOUNT_PASSWORD_PATH, accountPasswordLocation, checkedReturnTo } from './return-to.js';
import { ClientReturnTargets } from './client-return-targets.service.js';

/** Emails and passwords longer than this are refused without a check (no argon2 on a megabyte). */
const MAX_EMAIL = 320;
const MAX_PASSWORD = 256;

/** A form body as a record of strings (Fastify's form parser gives arrays for repeated names). */
export function formRecord(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/**
 * The browser-facing half of the authorization code flow at auth: `GET /oauth/authorize`
 * (RFC 6749 §4.1.1), the hosted login form it renders and its `POST /login`, the consent form's
 * `POST /oauth/authorize/consent`, and the pages' stylesheet. Passwords are typed only here: no
 * client, and no other service, ever sees one (RFC 9700 §2.4).
 */
@Public()
@UseGuards(AddressBudgetGuard)
@Controller()
export class AuthorizeController {
  constructor(
    private readonly flow: AuthorizeFlow,
    private readonly sessions: SsoSessions,
    private readonly csrf: FormCsrf,
    private readonly login: LoginService,
    private readonly returnTargets: ClientReturnTargets,
  ) {}

  @ApiOperation({ summary: 'The stylesheet of the hosted pages (their CSP allows no inline style)' })
  @ApiProduces('text/css')
  @Get('assets/auth.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('cache-control', 'public, max-age=3600')
  @Header('x-content-type-options', 'nosniff')
  stylesheet(): string {
    return AUTH_STYLESHEET;
  }

  @ApiOperation({
    summary:
      'Authorization endpoint (RFC 6749 §4.1.1, S256 PKCE required): the hosted login or consent page, or 302 to redirect_uri with code, state and iss',
  })
  @ApiProduces('text/html')
  @Get('oauth/authorize')
  authorize(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.authorizationRequest(query, request, reply, 302);
  }

  // OIDC Core §3.1.2.1: the authorization endpoint MUST support GET and POST (a form-encoded body).
  @ApiOperation({ summary: 'Authorization endpoint, form post (OIDC Core §3.1.2.1): the same request as GET, in the body' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @Post('oauth/authorize')
  @Rules({ acceptsForm: true })
  authorizePost(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.authorizationRequest(formRecord(body), request, reply, 303);
  }

  /** Either method's request: the error redirect, or the step after the session check (303 after a POST, RFC 9110 §15.4.4). */
  private async authorizationRequest(source: unknown, request: FastifyRequest, reply: FastifyReply, status: 302 | 303): Promise<void> {
    const read = await this.flow.read(source);
    if (!read.ok) {
      sendRedirect(reply, this.refusal(read.bound, read.error), status);
      return;
    }
    const live = await this.sessions.findLive(readSsoCookie(request));
    this.render(await this.flow.next(read.request, live), read.request, live, request, reply, status);
  }

  /** The hosted login form's target: the same budgets and answers as POST /auth/login (LoginService.checkPassword). */
  @ApiOperation({
    summary: "The hosted login form's target (CSRF token, e-mail, password): the same budgets and answers as POST /auth/login",
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @Post('login')
  @Rules({ acceptsForm: true })
  async submitLogin(@Body() body: unknown, @Ip() ip: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = formRecord(body);
    if (!this.csrf.verify(request, form.csrf_token)) throw new FormCsrfFailed();
    // Validated before the password is checked: a tampered redirect_uri gets the error page, not a code.
    const read = form.client_id === undefined ? undefined : await this.flow.read(form);
    const returnTo = read ? undefined : await this.returnTo(form);
    const email = typeof form.email === 'string' ? form.email : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const again = (status: number, message: string, headers: Readonly<Record<string, string>> = {}): void => {
      void reply.headers(headers);
      sendPage(
        reply,
        status,
        loginPage({
          csrfToken: this.csrf.tokenFor(request, reply),
          fields: read ? (read.ok ? read.request.params : read.bound.params) : { next: ACCOUNT_PASSWORD_PATH, return_to: returnTo },
          clientId: read?.ok ? read.request.client.clientId : undefined,
          email: email.slice(0, MAX_EMAIL),
          error: message,
        }),
        { formTargets: read?.ok ? [originOf(read.request.redirectUri)!] : [] },
      );
    };
    let live: LiveSsoSession;
    try {
      if (email.length > MAX_EMAIL || password.length > MAX_PASSWORD) throw new InvalidCredentials();
      const user = await this.login.checkPassword(email, password, ip);
      // A new session (and secret) at every login: a cookie planted before it is never the one after (session fixation).
      const previous = await this.sessions.find(readSsoCookie(request));
      if (previous) await this.sessions.replace(previous);
      const started = await this.sessions.start(user.id);
      setSsoCookie(reply, started.secret);
      live = { session: started.session, user };
    } catch (e) {
      // The uniform message of POST /auth/login ("Invalid email or password"), its 429 and Retry-After, or a 503: never a cookie.
      if (e instanceof AppError) return again(e.status, e.message, e.headers);
      throw e;
    }
    if (read && !read.ok) {
      sendRedirect(reply, this.refusal(read.bound, read.error), 303);
      return;
    }
    if (read?.ok) {
      this.render(await this.flow.next(read.request, live, { signedInNow: true }), read.request, live, request, reply, 303);
      return;
    }
    if (form.next === ACCOUNT_PASSWORD_PATH) {
      sendRedirect(reply, accountPasswordLocation(returnTo), 303);
      return;
    }
    sendPage(reply, 200, signedInPage(live.user.email));
  }

  /** The consent form's answer (third-party clients): allow remembers the scopes and issues the code; deny is access_denied. */
  @ApiOperation({ summary: "The consent form's answer (decision=allow|deny) for a third-party client" })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @Post('oauth/authorize/consent')
  @Rules({ acceptsForm: true })
  async consent(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = formRecord(body);
    if (!this.csrf.verify(request, form.csrf_token)) throw new FormCsrfFailed();
    const read = await this.flow.read(form);
    if (!read.ok) {
      sendRedirect(reply, this.refusal(read.bound, read.error), 303);
      return;
    }
    const live = await this.sessions.findLive(readSsoCookie(request));
    if (!live) {
      this.render({ kind: 'login' }, read.request, null, request, reply, 303);
      return;
    }
    if (form.decision === 'deny') {
      sendRedirect(reply, this.refusal(read.request, new AuthorizeRedirectError('access_denied', 'The user denied the request')), 303);
      return;
    }
    if (form.decision !== 'allow') throw new AuthorizePageError('invalid_request', 'decision must be allow or deny');
    this.render(await this.flow.next(read.request, live, { signedInNow: true, consented: true }), read.request, live, request, reply, 303);
  }

  private refusal(bound: Parameters<AuthorizeFlow['refuse']>[0], error: AuthorizeRedirectError): string {
    const step = this.flow.refuse(bound, error);
    return step.kind === 'redirect' ? step.location : bound.redirectUri;
  }

  private async returnTo(form: Record<string, unknown>): Promise<string | undefined> {
    return checkedReturnTo(form.return_to, await this.returnTargets.origins());
  }

  private render(
    step: AuthorizeStep,
    request: AuthorizationRequest,
    live: LiveSsoSession | null,
    httpRequest: FastifyRequest,
    reply: FastifyReply,
    redirectStatus: 302 | 303,
  ): void {
    // The login and consent forms lead (after a redirect) to the client: CSP form-action must allow its origin.
    const formTargets = [originOf(request.redirectUri)!];
    switch (step.kind) {
      case 'redirect':
        sendRedirect(reply, step.location, redirectStatus);
        return;
      case 'login':
        sendPage(
          reply,
          200,
          loginPage({ csrfToken: this.csrf.tokenFor(httpRequest, reply), fields: request.params, clientId: request.client.clientId }),
          { formTargets },
        );
        return;
      case 'consent':
        sendPage(
          reply,
          200,
          consentPage({
            csrfToken: this.csrf.tokenFor(httpRequest, reply),
            fields: request.params,
            clientId: request.client.clientId,
            scopes: step.scopes,
            email: live!.user.email,
          }),
          { formTargets },
        );
    }
  }
}
