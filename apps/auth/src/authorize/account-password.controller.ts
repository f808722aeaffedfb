import { Body, Controller, Get, Ip, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, Public, RequestValidationError, Rules } from '@authmesh/platform';
import { UsersService } from '../accounts/users.service.js';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { FormCsrfFailed } from './authorize.errors.js';
import { formRecord } from './authorize.controller.js';
import { ClientReturnTargets } from './client-return-targets.service.js';
import { FormCsrf } from './form-csrf.js';
import { sendPage } from './page-response.js';
import { loginPage, passwordChangedPage, passwordPage } from './pages.js';
import { ACCOUNT_PASSWORD_PATH, checkedReturnTo } from './return-to.js';
import { clearSsoCookie, readSsoCookie } from './sso-cookie.js';
import { type LiveSsoSession, SsoSessions } from './sso-sessions.service.js';

const MIN_PASSWORD = 12;
const MAX_PASSWORD = 256;

/**
 * The hosted change-password page, behind the SSO session: the same rules and side effects as
 * POST /auth/password (the current password checked under login's guessing budgets, the common-
 * password list, every session — refresh families, access tokens, SSO sessions — ended in the
 * transaction that stores the new hash). No session → the login page first, then back here.
 */
@Public()
@UseGuards(AddressBudgetGuard)
@Controller()
export class AccountPasswordController {
  constructor(
    private readonly sessions: SsoSessions,
    private readonly csrf: FormCsrf,
    private readonly users: UsersService,
    private readonly revoker: SessionRevoker,
    private readonly returnTargets: ClientReturnTargets,
  ) {}

  @ApiOperation({ summary: 'The hosted change-password page (behind the SSO session; the login page first without one)' })
  @ApiProduces('text/html')
  @Get('account/password')
  async show(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const returnTo = checkedReturnTo(formRecord(query).return_to, await this.returnTargets.origins());
    const live = await this.sessions.findLive(readSsoCookie(request));
    if (!live) return this.signInFirst(returnTo, request, reply);
    sendPage(reply, 200, passwordPage({ csrfToken: this.csrf.tokenFor(request, reply), email: live.user.email, returnTo }));
  }

  @ApiOperation({ summary: 'Change the password from the hosted page: the rules of POST /auth/password; ends every session' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @Post('account/password')
  @Rules({ acceptsForm: true })
  async change(@Body() body: unknown, @Ip() ip: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = formRecord(body);
    if (!this.csrf.verify(request, form.csrf_token)) throw new FormCsrfFailed();
    const returnTo = checkedReturnTo(form.return_to, await this.returnTargets.origins());
    const live = await this.sessions.findLive(readSsoCookie(request));
    if (!live) return this.signInFirst(returnTo, request, reply);
    const current = typeof form.current_password === 'string' ? form.current_password : '';
    const next = typeof form.new_password === 'string' ? form.new_password : '';
    try {
      if (next.length < MIN_PASSWORD || next.length > MAX_PASSWORD || current.length > MAX_PASSWORD)
        throw new RequestValidationError([
          { field: 'new_password', problems: [`the new password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`] },
        ]);
      await this.revoker.changeAndRevokeSubject(live.user.id, 'password_changed', (tx) =>
        this.users.changePassword(live.user.id, current, next, ip, tx),
      );
    } catch (e) {
      if (e instanceof AppError) return this.again(live, returnTo, e, request, reply);
      throw e;
    }
    // The change ended every session, this browser's SSO session included: it signs in again with the new password.
    clearSsoCookie(reply);
    sendPage(reply, 200, passwordChangedPage(returnTo));
  }

  private again(live: LiveSsoSession, returnTo: string | undefined, e: AppError, request: FastifyRequest, reply: FastifyReply): void {
    const problems = e instanceof RequestValidationError ? problemsOf(e) : undefined;
    void reply.headers(e.headers);
    sendPage(
      reply,
      e.status,
      passwordPage({ csrfToken: this.csrf.tokenFor(request, reply), email: live.user.email, returnTo, error: problems ?? e.message }),
    );
  }

  private signInFirst(returnTo: string | undefined, request: FastifyRequest, reply: FastifyReply): void {
    sendPage(
      reply,
      200,
      loginPage({ csrfToken: this.csrf.tokenFor(request, reply), fields: { next: ACCOUNT_PASSWORD_PATH, return_to: returnTo } }),
    );
  }
}

function problemsOf(e: RequestValidationError): string | undefined {
  const all = e.details.fields.flatMap((f) => f.problems);
  return all.length ? all.join('; ') : undefined;
}
