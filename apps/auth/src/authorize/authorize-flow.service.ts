import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import { LoginService } from '../accounts/login.service.js';
import { ClientEntity } from '../clients/client.entity.js';
import type { AuthConfig } from '../config/auth.config.js';
import { AuthorizationCodes } from './authorization-codes.service.js';
import {
  type AuthorizationRequest,
  type ClientBoundRequest,
  clientBoundPart,
  readAuthorizationParams,
  requestedClientId,
  validateAuthorizationRequest,
} from './authorization-request.js';
import { AuthorizeRedirectError } from './authorize.errors.js';
import { Consents } from './consents.service.js';
import type { LiveSsoSession } from './sso-sessions.service.js';

/** Where an authorization request goes next, for the controller to render. */
export type AuthorizeStep = { kind: 'redirect'; location: string } | { kind: 'login' } | { kind: 'consent'; scopes: string[] };

/** A request read from a query or form: valid, or refused with a redirect (an error page is thrown). */
export type ReadRequest =
  { ok: true; request: AuthorizationRequest } | { ok: false; bound: ClientBoundRequest; error: AuthorizeRedirectError };

/**
 * The authorization endpoint's decisions (RFC 6749 §4.1, OIDC Core §3.1.2): which client and
 * redirect, whether the user must sign in or consent, and the code. Rendering is the controller's.
 */
@Injectable()
export class AuthorizeFlow {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly codes: AuthorizationCodes,
    private readonly consents: Consents,
    private readonly login: LoginService,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /** Validates in the order that decides page vs redirect: client, redirect URI, PKCE, then the rest. */
  async read(source: unknown): Promise<ReadRequest> {
    const read = readAuthorizationParams(source);
    const clientId = requestedClientId(read);
    const client = await this.db.getRepository(ClientEntity).findOne({ where: { clientId } });
    try {
      return { ok: true, request: validateAuthorizationRequest(read, client) };
    } catch (e) {
      if (e instanceof AuthorizeRedirectError) return { ok: false, bound: clientBoundPart(read, client!), error: e };
      throw e;
    }
  }

  /**
   * The step after the session check. `signedInNow`: the password was just typed (prompt=login is
   * satisfied); `consented`: the user just allowed the scopes on the consent page.
   */
  async next(
    request: AuthorizationRequest,
    live: LiveSsoSession | null,
    opts: { signedInNow?: boolean; consented?: boolean } = {},
  ): Promise<AuthorizeStep> {
    if (!live || (request.prompts.has('login') && !opts.signedInNow)) {
      if (request.prompts.has('none'))
        return this.refuse(request, new AuthorizeRedirectError('login_required', 'The user is not signed in'));
      return { kind: 'login' };
    }
    const scopes = this.grantedScopes(request, live);
    if (!request.client.firstParty && !opts.consented) {
      const remembered = !request.prompts.has('consent') && (await this.consents.covers(live.user.id, request.client.clientId, scopes));
      if (!remembered) {
        if (request.prompts.has('none'))
          return this.refuse(request, new AuthorizeRedirectError('consent_required', 'The user has not allowed this client these scopes'));
        return { kind: 'consent', scopes };
      }
    }
    if (opts.consented) await this.consents.remember(live.user.id, request.client.clientId, scopes);
    const code = await this.codes.issue({
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      userId: live.user.id,
      scope: scopes.join(' '),
      audiences: request.audiences,
      nonce: request.nonce ?? null,
      dpopJkt: request.dpopJkt ?? null,
      authTime: live.session.authTime,
      ssoSessionId: live.session.id,
    });
    return { kind: 'redirect', location: this.redirectTo(request, { code }) };
  }

  /** Requested scopes the user holds too (RFC 6749 §3.3: fewer may be granted than asked; `openid` is the user's own). */
  grantedScopes(request: AuthorizationRequest, live: LiveSsoSession): string[] {
    const users = new Set(this.login.grantFor(live.user).scope.split(' '));
    return request.scopes.filter((s) => s === 'openid' || users.has(s));
  }

  refuse(bound: ClientBoundRequest, error: AuthorizeRedirectError): AuthorizeStep {
    return { kind: 'redirect', location: this.redirectTo(bound, { error: error.error, error_description: error.message }) };
  }

  /**
   * The redirect URI with the response added to its own query (RFC 6749 §3.1.2: a registered query
   * is kept), `state` echoed and `iss` (RFC 9207 §2: the client can tell which server answered,
   * against mix-up attacks).
   */
  private redirectTo(bound: ClientBoundRequest, response: Record<string, string>): string {
    const url = new URL(bound.redirectUri);
    for (const [k, v] of Object.entries(response)) url.searchParams.append(k, v);
    if (bound.state !== undefined) url.searchParams.append('state', bound.state);
    url.searchParams.append('iss', this.config.auth.issuer);
    return url.toString();
  }
}
