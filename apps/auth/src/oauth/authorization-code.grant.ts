import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN } from '@authmesh/contracts';
import { UserEntity } from '../accounts/user.entity.js';
import type { TokenResponse } from '../accounts/login.service.js';
import type { AuthorizationCodes } from '../authorize/authorization-codes.service.js';
import type { CachedClientRecord } from '../clients/client-record-cache.js';
import { isRegisteredRedirectUri } from '../clients/redirect-uri-rules.js';
import type { SessionRevoker } from '../revocation/session-revoker.service.js';
import type { IdTokenIssuer } from '../tokens/id-token.issuer.js';
import type { RefreshTokensService, TokenPair } from '../tokens/refresh-tokens.service.js';
import { InvalidGrant, UnauthorizedClient } from './oauth.errors.js';
import type { OAuthParams } from './oauth-params.js';
import { verifiesS256 } from './pkce.js';
import type { VerifiedDpopProof } from '@authmesh/token-verifier';

/** The token response of the code grant: OpenID Connect Core §3.1.3.3 adds `id_token` when `openid` was granted. */
export type CodeTokenResponse = TokenResponse & { id_token?: string };

/** The audience userinfo checks (the contract: a code-flow token with `openid` is also for auth). */
export const USERINFO_AUDIENCE = 'auth';

/** One public description for every refused code: which binding failed goes to the log, not to whoever holds the code. */
const CODE_REFUSED = 'The authorization code is invalid, expired, already used, or was issued to another client or redirect URI';

type Redemption =
  | { kind: 'issued'; pair: TokenPair; userId: string; nonce: string | null; authTime: Date; sid: string | null }
  | { kind: 'reused'; familyId: string | null };

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3) with PKCE S256 (RFC 7636 §4.6) for every
 * client. Redeeming, checking the bindings and starting the refresh family are one transaction:
 * a refused binding (another client, another redirect URI, a wrong verifier) rolls back and leaves
 * the code for its rightful holder; a reuse commits the revocation of what the first redemption
 * issued (RFC 6749 §4.1.2: the server SHOULD revoke it) and answers invalid_grant.
 */
export class AuthorizationCodeGrant {
  private readonly logger = new Logger('AuthorizationCodeGrant');

  constructor(
    private readonly db: DataSource,
    private readonly codes: AuthorizationCodes,
    private readonly refresh: RefreshTokensService,
    private readonly idTokens: IdTokenIssuer,
    private readonly revoker: SessionRevoker,
  ) {}

  /**
   * `proof`: the request's verified DPoP proof. A code bound by `dpop_jkt` (RFC 9449 §10) is
   * redeemed only with a proof of that key; with a proof, the access token is bound to its key,
   * and a public client's refresh family too (§5).
   */
  async redeem(client: CachedClientRecord, params: OAuthParams, now = new Date(), proof?: VerifiedDpopProof): Promise<CodeTokenResponse> {
    if (!client.grantTypes.includes(GRANT_AUTHORIZATION_CODE))
      throw new UnauthorizedClient('The client may not use the authorization_code grant');
    const code = params.required('code');
    const redirectUri = params.required('redirect_uri');
    const verifier = params.required('code_verifier');
    const refuse = (reason: string): never => {
      this.logger.warn(`authorization code refused for client ${client.clientId}: ${reason}`);
      throw new InvalidGrant(CODE_REFUSED);
    };
    const outcome = await this.db.transaction(async (tx): Promise<Redemption> => {
      const redemption = await this.codes.redeem(tx, code, now);
      if (redemption.kind === 'unknown') return refuse('unknown code');
      if (redemption.kind === 'expired') return refuse('expired code');
      // Reuse is checked before the bindings, as for refresh tokens: whoever replays a spent code,
      // the tokens it issued are revoked (it was intercepted, or the client is broken).
      if (redemption.kind === 'reused') return { kind: 'reused', familyId: redemption.code.familyId };
      const row = redemption.code;
      // RFC 6749 §4.1.3: the code was issued to this client, for this exact redirect URI.
      if (row.clientId !== client.clientId) return refuse(`code of client ${row.clientId}`);
      if (!isRegisteredRedirectUri([row.redirectUri], redirectUri)) return refuse('redirect_uri differs from the authorization request');
      if (!verifiesS256(verifier, row.codeChallenge)) return refuse('code_verifier does not match the code_challenge');
      // RFC 9449 §10: whoever intercepted a dpop_jkt-bound code can't redeem it without the key.
      if (row.dpopJkt !== null && row.dpopJkt !== proof?.jkt)
        return refuse(proof ? 'DPoP proof of another key than dpop_jkt' : 'code bound by dpop_jkt, no DPoP proof');
      const user = await tx.findOne(UserEntity, { where: { id: row.userId } });
      if (!user || user.disabled) return refuse('the user is unknown or disabled');
      const scopes = row.scope.split(' ').filter(Boolean);
      // userinfo (OpenID Connect Core §5.3) is auth's own resource: an `openid` token is for it too.
      const audiences =
        scopes.includes('openid') && !row.audiences.includes(USERINFO_AUDIENCE) ? [...row.audiences, USERINFO_AUDIENCE] : row.audiences;
      const pair = await this.refresh.startFamilyInTx(
        tx,
        {
          userId: row.userId,
          clientId: client.clientId,
          scope: row.scope,
          audiences,
          ssoSessionId: row.ssoSessionId,
          // RFC 9449 §5: a public client's refresh token is bound to its key; a confidential client's need not be.
          dpopJkt: proof !== undefined && client.tokenEndpointAuthMethod === 'none' ? proof.jkt : null,
        },
        now,
        proof?.jkt,
      );
      await this.codes.recordFamily(tx, row.codeHash, pair.familyId);
      return { kind: 'issued', pair, userId: row.userId, nonce: row.nonce, authTime: row.authTime, sid: row.ssoSessionId };
    });
    if (outcome.kind === 'reused') {
      if (outcome.familyId) await this.revoker.revokeFamily(outcome.familyId, 'reuse_detected');
      return refuse(`code reused: family ${outcome.familyId ?? '(none)'} revoked`);
    }
    const { pair } = outcome;
    const response: CodeTokenResponse = {
      access_token: pair.access.token,
      token_type: pair.access.tokenType,
      expires_in: pair.access.expiresIn,
      scope: pair.scope,
    };
    // The family always exists (revocation of the login finds its access tokens through it); its
    // refresh token is handed out only to a client allowed to refresh.
    if (client.grantTypes.includes(GRANT_REFRESH_TOKEN)) response.refresh_token = pair.refreshToken;
    if (pair.scope.split(' ').includes('openid'))
      response.id_token = await this.idTokens.issue({
        sub: outcome.userId,
        clientId: client.clientId,
        authTime: outcome.authTime,
        nonce: outcome.nonce,
        sid: outcome.sid,
        accessToken: pair.access.token,
      });
    return response;
  }
}
