import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RevocationStore } from '@authmesh/revocation';
import { DependencyUnavailableError, InjectConfig } from '@authmesh/platform';
import { REVOCATION_STORE } from '../revocation/revocation-store.provider.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import type { AuthConfig } from '../config/auth.config.js';
import { AccessTokenIssuer } from '../tokens/access-token.issuer.js';
import { AccessTokenReader } from '../tokens/access-token.reader.js';
import { RefreshTokensService } from '../tokens/refresh-tokens.service.js';
import { type TokenResponse, tokenResponse } from '../accounts/login.service.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { mayIntrospect } from './introspection-entitlement.js';
import {
  GRANT_AUTHORIZATION_CODE,
  GRANT_CLIENT_CREDENTIALS,
  GRANT_REFRESH_TOKEN,
  GRANT_TOKEN_EXCHANGE,
  SCOPE_TOKEN_PATTERN,
  TOKEN_TYPE_API_KEY,
} from '@authmesh/contracts';
import { ApiKeyExchange } from '../api-keys/api-key-exchange.js';
import { InvalidClient, InvalidRequest, InvalidScope, InvalidTarget, UnauthorizedClient, UnsupportedGrantType } from './oauth.errors.js';
import { OAuthParams } from './oauth-params.js';
import { TokenExchangeGrant } from './token-exchange.js';
import { AuthorizationCodes } from '../authorize/authorization-codes.service.js';
import { IdTokenIssuer } from '../tokens/id-token.issuer.js';
import { AuthorizationCodeGrant, type CodeTokenResponse } from './authorization-code.grant.js';
import type { VerifiedDpopProof } from '@authmesh/token-verifier';
import { TokenRequestDpop } from './token-request-dpop.js';
import type { CachedClientRecord } from '../clients/client-record-cache.js';

/** POST /oauth/token and /oauth/introspect. */
@Injectable()
export class TokenEndpoint {
  private readonly tokenExchange: TokenExchangeGrant;
  private readonly authorizationCode: AuthorizationCodeGrant;

  constructor(
    private readonly clients: ClientAuthenticator,
    private readonly issuer: AccessTokenIssuer,
    private readonly reader: AccessTokenReader,
    private readonly refresh: RefreshTokensService,
    private readonly revoker: SessionRevoker,
    @Inject(REVOCATION_STORE) private readonly store: RevocationStore,
    @InjectConfig() private readonly config: AuthConfig,
    @InjectDataSource() db: DataSource,
    codes: AuthorizationCodes,
    idTokens: IdTokenIssuer,
    private readonly dpop: TokenRequestDpop,
    private readonly apiKeys: ApiKeyExchange,
  ) {
    this.authorizationCode = new AuthorizationCodeGrant(db, codes, refresh, idTokens, revoker);
    // Built here rather than provided: its collaborators are this endpoint's own.
    this.tokenExchange = new TokenExchangeGrant(
      issuer,
      reader,
      (jti, sub, iat) => this.isRevoked(jti, sub, iat),
      (link) => revoker.linkExchangedToken(link),
      config.auth.dpop.edgeClients,
    );
  }

  /**
   * `dpopHeader`: the request's `DPoP` header (RFC 9449 §5). With a valid proof, on any grant, the
   * access token is bound to the proof's key (`cnf.jkt`, `token_type: DPoP`); the proof is checked
   * before the grant, so a bad or replayed one is `invalid_dpop_proof` whatever else is wrong.
   * `clientAddress`: the caller's address as auth resolved it (request.ip), for API keys' allow-lists.
   */
  async token(
    body: unknown,
    authorization: string | undefined,
    dpopHeader?: string | string[],
    clientAddress?: string,
  ): Promise<CodeTokenResponse> {
    const params = new OAuthParams(body);
    const grantType = params.required('grant_type');
    const proof = await this.dpop.verify(dpopHeader);
    switch (grantType) {
      case GRANT_AUTHORIZATION_CODE: {
        // A public client (auth method none) names itself; its proof is the PKCE verifier.
        const client = await this.clients.requireOrPublic(authorization, params);
        if (!client) throw new InvalidClient('Client authentication is required');
        this.dpop.requireIfBound(client, proof);
        return this.authorizationCode.redeem(client, params, new Date(), proof);
      }
      case GRANT_CLIENT_CREDENTIALS:
        return this.clientCredentials(params, authorization, proof);
      case GRANT_REFRESH_TOKEN:
        return this.refreshToken(params, authorization, proof);
      case GRANT_TOKEN_EXCHANGE: {
        const client = await this.clients.require(authorization, params);
        this.dpop.requireIfBound(client, proof);
        // An API key as the subject (issue 22): its own checks, same grant; its token is a Bearer
        // token for the gateway's hop (the key itself is the integrator's credential, not a DPoP key).
        if (params.optional('subject_token_type') === TOKEN_TYPE_API_KEY) return this.apiKeys.exchange(client, params, clientAddress);
        return this.tokenExchange.exchange(client, params, proof);
      }
      default:
        throw new UnsupportedGrantType(`Unsupported grant_type: ${grantType.slice(0, 100)}`);
    }
  }

  /** The current server nonce for the `DPoP-Nonce` header of every token response (RFC 9449 §8). */
  dpopNonce(): string {
    return this.dpop.nonces.current();
  }

  private async clientCredentials(
    params: OAuthParams,
    authorization: string | undefined,
    proof: VerifiedDpopProof | undefined,
  ): Promise<TokenResponse> {
    // Issuing reads nothing else from the database and writes nothing to it (signing is in memory),
    // so a client auth already knows keeps getting tokens through a database blip.
    const client = await this.clients.require(authorization, params, { cachedWhenDatabaseDown: true });
    this.dpop.requireIfBound(client, proof);
    if (!client.grantTypes.includes(GRANT_CLIENT_CREDENTIALS)) {
      throw new UnauthorizedClient('The client may not use the client_credentials grant');
    }
    const requestedAudience = params.optional('audience') ?? params.optional('resource');
    let audience: string;
    if (requestedAudience === undefined) {
      if (client.audiences.length !== 1) throw new InvalidRequest('audience is required for a client with several audiences');
      audience = client.audiences[0]!;
    } else if (client.audiences.includes(requestedAudience)) audience = requestedAudience;
    else throw new InvalidTarget('The client may not obtain tokens for this audience');
    const scope = this.grantedScope(params.optional('scope'), client.scopes);
    const access = await this.issuer.issue({
      sub: client.clientId,
      clientId: client.clientId,
      audience,
      scope,
      ...(proof === undefined ? {} : { cnfJkt: proof.jkt }),
    });
    // RFC 6749 §4.4.3: no refresh token for client credentials.
    return { access_token: access.token, token_type: access.tokenType, expires_in: access.expiresIn, scope };
  }

  private async refreshToken(
    params: OAuthParams,
    authorization: string | undefined,
    proof: VerifiedDpopProof | undefined,
  ): Promise<TokenResponse> {
    const presented = params.required('refresh_token');
    // RFC 6749 §6: a confidential client authenticates and may only use its own tokens; a
    // registered public client names itself with client_id (its code-flow families are bound to
    // it); without either the caller is the first-party public client.
    const client = await this.publicOrConfidentialClient(authorization, params);
    if (client !== 'user-client') this.dpop.requireIfBound(client, proof);
    const clientId = client === 'user-client' ? this.config.auth.userClientId : client.clientId;
    const requested = params.optional('scope');
    const narrow =
      requested === undefined ? undefined : (familyScope: string): string => this.grantedScope(requested, familyScope.split(' '));
    // RFC 9449 §5: a public client's refresh token is bound to the key of its first DPoP proof.
    const isPublic = client === 'user-client' || client.tokenEndpointAuthMethod === 'none';
    const dpop = proof === undefined ? undefined : { jkt: proof.jkt, bindFamily: isPublic };
    return tokenResponse(await this.refresh.rotate(presented, clientId, narrow, new Date(), dpop));
  }

  /**
   * The client of a refresh or revocation: a confidential one authenticated, a registered public
   * one by client_id, the first-party user client (AUTH_USER_CLIENT_ID, not in the registry) by its
   * id; undefined when the request names none.
   */
  private async publicOrConfidential(authorization: string | undefined, params: OAuthParams): Promise<string | undefined> {
    if (!this.clients.presented(authorization, params) && params.optional('client_id') === this.config.auth.userClientId)
      return this.config.auth.userClientId;
    return (await this.clients.requireOrPublic(authorization, params))?.clientId;
  }

  /** The same for a refresh, with the client's record; `user-client` for the first-party public client (named or not). */
  private async publicOrConfidentialClient(
    authorization: string | undefined,
    params: OAuthParams,
  ): Promise<CachedClientRecord | 'user-client'> {
    if (!this.clients.presented(authorization, params) && params.optional('client_id') === this.config.auth.userClientId)
      return 'user-client';
    return (await this.clients.requireOrPublic(authorization, params)) ?? 'user-client';
  }

  /** The requested scopes, all of which must be allowed; all allowed scopes when none are requested. */
  private grantedScope(requested: string | undefined, allowed: string[]): string {
    if (requested === undefined) return allowed.join(' ');
    const scopes = requested.split(' ').filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !SCOPE_TOKEN_PATTERN.test(s))) throw new InvalidScope('The scope is malformed');
    const denied = scopes.filter((s) => !allowed.includes(s));
    if (denied.length) throw new InvalidScope(`Scope not allowed: ${denied.join(' ').slice(0, 200)}`);
    return [...new Set(scopes)].join(' ');
  }

  /**
   * RFC 7662: `{ active: false }` for anything not valid; the claims for a valid token — but only
   * to a caller entitled to see it (§4: the server must determine whether the caller may learn
   * about the token). Anyone else gets the same `{ active: false }` as for garbage, so the
   * endpoint is no oracle for other services' tokens.
   */
  async introspect(body: unknown, authorization: string | undefined): Promise<Record<string, unknown>> {
    const params = new OAuthParams(body);
    const caller = await this.clients.require(authorization, params);
    const token = params.required('token');
    const hint = params.optional('token_type_hint');
    const tryAccess = async (): Promise<Record<string, unknown> | null> => {
      const claims = await this.reader.read(token);
      if (!claims || !mayIntrospect(caller, claims)) return null;
      if (await this.isRevoked(claims.jti!, claims.sub!, claims.iat!)) return null;
      // RFC 9449 §6.2: a bound token is introspected with its `cnf` (among the claims) and token_type DPoP.
      return { active: true, token_type: claims.cnf === undefined ? 'Bearer' : 'DPoP', ...claims };
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

  private async isRevoked(jti: string, sub: string, iat: number): Promise<boolean> {
    try {
      if (await this.store.isTokenRevoked(jti)) return true;
      const since = await this.store.subjectRevokedAt(sub);
      return since !== undefined && iat * 1000 <= since.getTime();
    } catch (e) {
      throw new DependencyUnavailableError('Revocation data is unavailable', { detail: String(e), cause: e });
    }
  }

  /**
   * RFC 7009. Confidential clients authenticate; the first-party public client (AUTH_USER_CLIENT_ID)
   * and registered public clients (auth method none) name themselves with `client_id` alone (§2.1). A client can only revoke its own tokens, and the
   * answer is 200 whatever the token was (§2.2), so it can't be used to probe tokens.
   */
  async revoke(body: unknown, authorization: string | undefined): Promise<void> {
    const params = new OAuthParams(body);
    const clientId = await this.publicOrConfidential(authorization, params);
    if (clientId === undefined) throw new InvalidClient('Client authentication is required');
    const token = params.required('token');
    const asAccess = async (): Promise<boolean> => {
      const claims = await this.reader.read(token);
      if (!claims) return false;
      if (claims.client_id === clientId) await this.revoker.revokeAccessToken(claims.jti!, new Date(claims.exp! * 1000));
      return true;
    };
    const asRefresh = async (): Promise<boolean> => {
      const family = await this.revoker.familyOfRefreshToken(token);
      if (!family) return false;
      if (family.clientId === clientId) await this.revoker.revokeFamily(family.id, 'revoked_by_client');
      return true;
    };
    // token_type_hint only orders the lookups (§2.1: the server extends its search if it misses).
    const order = params.optional('token_type_hint') === 'refresh_token' ? [asRefresh, asAccess] : [asAccess, asRefresh];
    for (const attempt of order) if (await attempt()) return;
  }
}
