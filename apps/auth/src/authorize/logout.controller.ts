import { Body, Controller, Get, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { InjectConfig, Public, Rules } from '@authmesh/platform';
import { ClientEntity } from '../clients/client.entity.js';
import type { AuthConfig } from '../config/auth.config.js';
import { Keyring } from '../keys/keyring.service.js';
import { AddressBudgetGuard } from '../rate-limit/address-budget.guard.js';
import { AuthorizePageError, FormCsrfFailed } from './authorize.errors.js';
import { formRecord } from './authorize.controller.js';
import { FormCsrf } from './form-csrf.js';
import { type IdTokenHint, verifyIdTokenHint } from './id-token-hint.js';
import { originOf, sendPage, sendRedirect } from './page-response.js';
import { logoutConfirmPage, signedOutPage } from './pages.js';
import { clearSsoCookie, readSsoCookie } from './sso-cookie.js';
import { SsoSessions } from './sso-sessions.service.js';

const LOGOUT_PARAMS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state'] as const;

/**
 * The end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0): ends the browser's SSO
 * session (its cookie) and revokes every refresh family started from it (their access tokens
 * blocklisted), then goes back to a registered post-logout URI or shows "signed out". At once only
 * when a valid `id_token_hint` names that very session (`sid` and `sub`); otherwise the user
 * confirms first on a CSRF-protected form (§2: a logout request anyone can make must not end a
 * session unasked).
 */
@Public()
@UseGuards(AddressBudgetGuard)
@Controller('oauth')
export class LogoutController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly keyring: Keyring,
    private readonly sessions: SsoSessions,
    private readonly csrf: FormCsrf,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  @ApiOperation({ summary: 'End session endpoint (OIDC RP-Initiated Logout 1.0): ends the SSO session and revokes its refresh families' })
  @ApiProduces('text/html')
  @Get('logout')
  async logoutGet(@Query() query: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.logout(formRecord(query), false, request, reply);
  }

  @ApiOperation({ summary: 'End session endpoint, form post (the confirmation page, or an RP posting id_token_hint)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @Post('logout')
  @Rules({ acceptsForm: true })
  async logoutPost(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.logout(formRecord(body), true, request, reply);
  }

  private async logout(input: Record<string, unknown>, posted: boolean, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const params: Partial<Record<(typeof LOGOUT_PARAMS)[number], string>> = {};
    for (const name of LOGOUT_PARAMS) {
      const value = input[name];
      if (value === undefined || value === '') continue;
      if (typeof value !== 'string') throw new AuthorizePageError('invalid_request', `${name} was sent more than once`);
      params[name] = value;
    }
    let hint: IdTokenHint | undefined;
    if (params.id_token_hint !== undefined) {
      hint = await verifyIdTokenHint(params.id_token_hint, this.keyring, this.config.auth.issuer);
      if (!hint) throw new AuthorizePageError('invalid_request', 'id_token_hint is not an ID token this server issued');
    }
    if (params.client_id !== undefined && hint && !hint.audiences.includes(params.client_id))
      throw new AuthorizePageError('invalid_request', 'id_token_hint was not issued to client_id');
    const clientId = params.client_id ?? (hint?.audiences.length === 1 ? hint.audiences[0] : undefined);
    const redirect = params.post_logout_redirect_uri;
    if (redirect !== undefined) {
      // §3: exact match with a URI registered for the client the hint or client_id names; else no redirect at all.
      const client = clientId === undefined ? null : await this.db.getRepository(ClientEntity).findOne({ where: { clientId } });
      if (!client || !client.enabled || !client.postLogoutRedirectUris.includes(redirect))
        throw new AuthorizePageError('invalid_request', 'post_logout_redirect_uri is not registered for this client');
    }

    // RP-Initiated Logout 1.0 §2: the OP MUST ask the user unless the hint belongs to the browser's
    // current session. Without that, whoever holds an old ID token (a client, a leaked log) could
    // end a session the browser is not even in, or send the user here to end theirs unasked.
    const cookieSession = await this.sessions.find(readSsoCookie(request));
    const hintIsThisSession =
      hint !== undefined && cookieSession !== null && hint.sid === cookieSession.id && hint.sub === cookieSession.userId;
    if (!hintIsThisSession) {
      if (!posted) {
        const origin = redirect === undefined ? undefined : originOf(redirect);
        sendPage(reply, 200, logoutConfirmPage({ csrfToken: this.csrf.tokenFor(request, reply), fields: params }), {
          formTargets: origin ? [origin] : [],
        });
        return;
      }
      if (!this.csrf.verify(request, input.csrf_token)) throw new FormCsrfFailed();
    }

    // Only the browser's own session ends (confirmed, or named by the hint); a hint never reaches
    // past the cookie to a session elsewhere. The RP ends its own tokens with /oauth/revoke.
    if (cookieSession && cookieSession.endedAt === null) await this.sessions.end(cookieSession.id);
    clearSsoCookie(reply);
    if (redirect !== undefined) {
      const url = new URL(redirect);
      if (params.state !== undefined) url.searchParams.append('state', params.state);
      sendRedirect(reply, url.toString(), posted ? 303 : 302);
      return;
    }
    sendPage(reply, 200, signedOutPage());
  }
}
