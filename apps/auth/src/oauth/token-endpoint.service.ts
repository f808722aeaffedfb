import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { AccessTokenIssuer } from '../tokens/access-token.issuer.js';
import { AccessTokenReader } from '../tokens/access-token.reader.js';
import { RefreshTokensService } from '../tokens/refresh-tokens.service.js';
import { type TokenResponse, tokenResponse } from '../users/login.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { InvalidRequest, InvalidScope, InvalidTarget, UnsupportedGrantType } from './oauth.errors.js';
import { OAuthParams } from './oauth-params.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // RFC 6749 §3.3 scope-token

/** POST /oauth/token and /oauth/introspect. */
@Injectable()
export class TokenEndpoint {
  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly issuer: AccessTokenIssuer,
    private readonly reader: AccessTokenReader,
    private readonly refresh: RefreshTokensService,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async token(body: unknown, authorization: string | undefined): Promise<TokenResponse> {
    const params = new OAuthParams(body);
    const grantType = params.required('grant_type');
    switch (grantType) {
      case 'client_credentials':
        return this.clientCredentials(params, authorization);
      case 'refresh_token':
        return this.refreshToken(params, authorization);
      default:
        throw new UnsupportedGrantType(`Unsupported grant_type: ${grantType.slice(0, 100)}`);
    }
  }

  private async clientCredentials(params: OAuthParams, authorization: string | undefined): Promise<TokenResponse> {
    const client = await this.clients.require(authorization, params);
    const requestedAudience = params.optional('audience') ?? params.optional('resource');
    let audience: string;
    if (requestedAudience === undefined) {
      if (client.audiences.length !== 1) throw new InvalidRequest('audience is required for a client with several audiences');
      audience = client.audiences[0]!;
    } else if (client.audiences.includes(requestedAudience)) audience = requestedAudience;
    else throw new InvalidTarget('The client may not obtain tokens for this audience');
    const scope = this.grantedScope(params.optional('scope'), client.scopes);
    const access = await this.issuer.issue({ sub: client.clientId, clientId: client.clientId, audience, scope });
    // RFC 6749 §4.4.3: no refresh token for client credentials.
    return { access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope };
  }

  private async refreshToken(params: OAuthParams, authorization: string | undefined): Promise<TokenResponse> {
    const presented = params.required('refresh_token');
    // Families come from the first-party public client; a confidential client that also sends
    // credentials must send valid ones.
    if (this.clients.presented(authorization, params)) await this.clients.require(authorization, params);
    const requestedScope = params.optional('scope');
    const pair = await this.refresh.rotate(presented);
    if (requestedScope !== undefined) this.grantedScope(requestedScope, pair.scope.split(' '));
    return tokenResponse(pair);
  }

  /** The requested scopes, all of which must be allowed; all allowed scopes when none are requested. */
  private grantedScope(requested: string | undefined, allowed: string[]): string {
    if (requested === undefined) return allowed.join(' ');
    const scopes = requested.split(' ').filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !SCOPE_TOKEN.test(s))) throw new InvalidScope('The scope is malformed');
    const denied = scopes.filter((s) => !allowed.includes(s));
    if (denied.length) throw new InvalidScope(`Scope not allowed: ${denied.join(' ').slice(0, 200)}`);
    return [...new Set(scopes)].join(' ');
  }

  /** RFC 7662: `{ active: false }` for anything not valid; the claims for a valid token. */
  async introspect(body: unknown, authorization: string | undefined): Promise<Record<string, unknown>> {
    const params = new OAuthParams(body);
    const caller = await this.clients.require(authorization, params);
    const token = params.required('token');
    const hint = params.optional('token_type_hint');
    const tryAccess = async (): Promise<Record<string, unknown> | null> => {
      const claims = await this.reader.read(token);
      return claims ? { active: true, token_type: 'Bearer', ...claims } : null;
    };
    const tryRefresh = async (): Promise<Record<string, unknown> | null> => {
      const live = await this.refresh.findLive(token);
      // A refresh token is only described to the client it belongs to.
      if (!live || live.family.clientId !== caller.clientId) return null;
      return {
        active: true,
        token_type: 'refresh_token',
        client_id: live.family.clientId,
        sub: live.family.userId,
        scope: live.family.scope,
        exp: Math.floor(live.token.expiresAt.getTime() / 1000),
        iat: Math.floor(live.token.issuedAt.getTime() / 1000),
        iss: this.config.auth.issuer,
      };
    };
    const order = hint === 'refresh_token' ? [tryRefresh, tryAccess] : [tryAccess, tryRefresh];
    for (const attempt of order) {
      const result = await attempt();
      if (result) return result;
    }
    return { active: false };
  }
}
