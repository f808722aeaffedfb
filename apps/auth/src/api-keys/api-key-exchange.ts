import { Injectable } from '@nestjs/common';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_API_KEY } from '@authmesh/contracts';
import { InjectConfig } from '@authmesh/platform';
import type { ClientEntity } from '../clients/client.entity.js';
import type { AuthConfig } from '../config/auth.config.js';
import { InvalidGrant, InvalidRequest, InvalidScope, InvalidTarget, UnauthorizedClient } from '../oauth/oauth.errors.js';
import type { OAuthParams } from '../oauth/oauth-params.js';
import { exchangedScope, type TokenExchangeResponse } from '../oauth/token-exchange.js';
import { SessionRevoker } from '../revocation/session-revoker.service.js';
import { AccessTokenIssuer } from '../tokens/access-token.issuer.js';
import { ApiKeyRefused, ApiKeysService, apiKeyLinkId } from './api-keys.service.js';

/** RFC 8693 response for a key, plus whether the token is bound to the caller's address (the gateway's cache key then includes it). */
export interface ApiKeyExchangeResponse extends TokenExchangeResponse {
  /** RFC 6749 §5.1 allows extra response parameters; this one tells the gateway to cache per client address. */
  address_bound: boolean;
}

/**
 * RFC 8693 token exchange with an API key as the subject token
 * (`subject_token_type=urn:authmesh:params:oauth:token-type:api_key`): for a client allowed to
 * exchange (the gateway), a token for ONE audience, `sub` = the key's owner (a user id; a client's
 * id, with that `client_id`), the key's scopes for that audience, `act: { sub: <gateway> }`, an
 * `akid` claim naming the key, and a lifetime of AUTH_API_KEY_TOKEN_TTL_S capped at the key's expiry.
 *
 * Every reason the key itself is no good (malformed, unknown, revoked, expired, owner disabled,
 * address outside its allow-list) is the same `invalid_grant` with the same description: the
 * reason is counted and logged by auth, never told. An audience the key lacks is `invalid_target`,
 * a scope it lacks `invalid_scope` (the key is good; the request asks too much).
 *
 * The caller's address is `request.ip` at auth: the client the gateway proved with its
 * forwarded-for proof (AUTH_PROXY_SECRET), else what TRUST_PROXY resolved, else the TCP peer —
 * then the gateway's own address, which a partner's allow-list does not contain (fails closed).
 */
@Injectable()
export class ApiKeyExchange {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly issuer: AccessTokenIssuer,
    private readonly revoker: SessionRevoker,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async exchange(
    client: ClientEntity,
    params: OAuthParams,
    address: string | undefined,
    now = new Date(),
  ): Promise<ApiKeyExchangeResponse> {
    if (!client.grantTypes.includes(GRANT_TOKEN_EXCHANGE)) throw new UnauthorizedClient('The client may not use the token-exchange grant');
    const presented = params.required('subject_token');
    if (params.required('subject_token_type') !== TOKEN_TYPE_API_KEY)
      throw new InvalidRequest(`subject_token_type must be ${TOKEN_TYPE_API_KEY}`);
    if (params.optional('actor_token') !== undefined)
      throw new InvalidRequest('actor_token is not supported: the authenticated client is the actor');
    const requestedType = params.optional('requested_token_type');
    if (requestedType !== undefined && requestedType !== TOKEN_TYPE_ACCESS_TOKEN)
      throw new InvalidRequest(`requested_token_type must be ${TOKEN_TYPE_ACCESS_TOKEN}`);
    const audience = params.optional('audience') ?? params.optional('resource');
    if (audience === undefined) throw new InvalidRequest('Missing required parameter: audience');
    if (/\s/.test(audience)) throw new InvalidRequest('Exactly one audience is allowed');
    if (!client.audiences.includes(audience)) throw new InvalidTarget('The client may not obtain tokens for this audience');

    let checked;
    try {
      checked = await this.keys.check(presented, address, now);
    } catch (e) {
      // One answer for every way a key is no good: no oracle for which part was wrong.
      if (e instanceof ApiKeyRefused) throw new InvalidGrant('The API key is not valid');
      throw e;
    }
    const { key, ownerScopes } = checked;
    if (!key.audiences.includes(audience)) {
      this.keys.count('audience');
      throw new InvalidTarget('The API key is not valid for the requested audience');
    }
    let scope: string;
    try {
      // The key's scopes as the owner holds them today (a client's narrowed registration narrows its keys).
      scope = exchangedScope(
        params.optional('scope'),
        key.scopes.filter((s) => ownerScopes.includes(s)),
        audience,
      );
    } catch (e) {
      if (e instanceof InvalidScope) this.keys.count('scope');
      throw e;
    }
    const owner = key.ownerType === 'user' ? { sub: key.ownerId, clientId: client.clientId } : { sub: key.ownerId, clientId: key.ownerId };
    const access = await this.issuer.issue(
      {
        ...owner,
        audience: [audience],
        scope,
        act: { sub: client.clientId },
        akid: key.id,
        ttlSeconds: this.config.auth.apiKeyTokenTtlSeconds,
        ...(key.expiresAt ? { notAfter: key.expiresAt } : {}),
      },
      now,
    );
    // Linked to the key before it leaves: revoking the key revokes this jti (the outbox extends a
    // revocation of `apikey:<id>` to every linked token), and a revocation racing this exchange is
    // either seen here (already in the ledger) or finds the link.
    const outcome = await this.revoker.linkExchangedToken({
      jti: access.jti,
      subjectJti: apiKeyLinkId(key.id),
      clientId: client.clientId,
      expiresAt: access.expiresAt,
    });
    if (outcome !== 'linked') {
      this.keys.count('revoked');
      throw new InvalidGrant('The API key is not valid');
    }
    this.keys.count('ok');
    return {
      access_token: access.token,
      issued_token_type: TOKEN_TYPE_ACCESS_TOKEN,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      scope,
      address_bound: key.allowedCidrs.length > 0,
    };
  }
}
