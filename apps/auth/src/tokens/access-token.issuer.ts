import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { InjectConfig } from '@authmesh/platform';
import { RevocationMirror } from '@authmesh/revocation';
import type { ActorClaim } from '@authmesh/token-verifier';
import type { AuthConfig } from '../config/auth.config.js';
import { Keyring } from '../keys/keyring.service.js';
import { signRs256Jwt } from './jws-signer.js';

export interface AccessTokenRequest {
  sub: string;
  clientId: string;
  audience: string | string[];
  scope: string;
  /** RFC 8693 §4.1 `act`: who acts for `sub` (set by the token-exchange grant only). */
  act?: ActorClaim;
  /** The token expires no later than this: an exchanged token never outlives its subject token. */
  notAfter?: Date;
  /** The API key the token was exchanged for (`akid`): a backend can log which key acted, never the key. */
  akid?: string;
  /** A lifetime shorter than AUTH_ACCESS_TOKEN_TTL_S (the admin token's); never longer. */
  ttlSeconds?: number;
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  cnfJkt?: string;
}

export interface IssuedAccessToken {
  token: string;
  /** `DPoP` for a token bound to a key (RFC 9449 §5: the token response's `token_type`), `Bearer` otherwise. */
  tokenType: 'Bearer' | 'DPoP';
  jti: string;
  expiresAt: Date;
  expiresIn: number;
}

/**
 * Signs RFC 9068 access tokens: header `{alg: RS256, typ: at+jwt, kid}`, claims
 * `iss sub aud exp iat nbf jti client_id scope` (+ `act` for an exchanged token, `cnf` for a DPoP-bound one), nothing personal
 * and no growing lists.
 */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly keyring: Keyring,
    private readonly revocations: RevocationMirror,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async issue(req: AccessTokenRequest, now = new Date()): Promise<IssuedAccessToken> {
    const { kid, privateKey } = await this.keyring.currentSigner();
    // `iat` has whole seconds, and a subject revoked at T revokes tokens with iat ≤ T: a token issued
    // in the same second as a logout-all or password change would be born revoked. Issue it as of
    // the next second instead (within the verifiers' clock tolerance on iat/nbf).
    const revokedAtMs = this.revocations.subjectRevokedAtMs(req.sub);
    let iat = Math.floor(now.getTime() / 1000);
    // Only for a revocation in this very second: one set ahead of now (a disable's in-flight margin)
    // must keep refusing what is issued meanwhile.
    if (revokedAtMs !== undefined && iat * 1000 <= revokedAtMs && revokedAtMs < (iat + 1) * 1000) {
      iat = Math.floor(revokedAtMs / 1000) + 1;
    }
    const cap = req.notAfter === undefined ? Infinity : Math.floor(req.notAfter.getTime() / 1000) - iat;
    const ttl = Math.min(this.config.auth.accessTokenTtlSeconds, req.ttlSeconds ?? Infinity, cap);
    if (ttl < 1) throw new Error('notAfter leaves the access token no lifetime');
    const jti = randomBytes(16).toString('base64url');
    // The claim order jose's SignJWT wrote, so tokens look as they did before decision 009.
    const claims = {
      client_id: req.clientId,
      scope: req.scope,
      ...(req.act && { act: req.act }),
      ...(req.cnfJkt !== undefined && { cnf: { jkt: req.cnfJkt } }),
      ...(req.akid && { akid: req.akid }),
      iss: this.config.auth.issuer,
      sub: req.sub,
      aud: req.audience,
      iat,
      nbf: iat,
      exp: iat + ttl,
      jti,
    };
    const token = await signRs256Jwt({ alg: 'RS256', typ: 'at+jwt', kid }, claims, privateKey);
    return { token, tokenType: req.cnfJkt === undefined ? 'Bearer' : 'DPoP', jti, expiresAt: new Date((iat + ttl) * 1000), expiresIn: ttl };
  }
}
