import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { Keyring } from '../keys/keyring.service.js';
import { signRs256Jwt } from './jws-signer.js';

export interface IdTokenRequest {
  /** The user. */
  sub: string;
  /** The client the ID token is for: its only audience (OpenID Connect Core §2). */
  clientId: string;
  /** When the user last entered a password (`auth_time`). */
  authTime: Date;
  /** The authorization request's `nonce`, echoed so the client can bind the token to its request (§3.1.2.1). */
  nonce: string | null;
  /** The SSO session the login belongs to (`sid`, OpenID Connect Front-Channel Logout §3). */
  sid: string | null;
  /** The access token issued with it, for `at_hash`. */
  accessToken: string;
}

/** OpenID Connect Core §3.1.3.6: the left half of SHA-256 of the access token's ASCII, base64url (RS256 hashes with SHA-256). */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/**
 * Signs ID tokens (OpenID Connect Core §2) with the keyring's current RS256 key. An ID token tells
 * the client who logged in; it is never an access token: its header says `typ: JWT` (verifiers
 * demand `at+jwt`, RFC 9068 §4), its audience is the client, and it has no `scope` or `client_id`.
 */
@Injectable()
export class IdTokenIssuer {
  constructor(
    private readonly keyring: Keyring,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async issue(req: IdTokenRequest, now = new Date()): Promise<string> {
    const { kid, privateKey } = await this.keyring.currentSigner();
    const iat = Math.floor(now.getTime() / 1000);
    const claims = {
      iss: this.config.auth.issuer,
      sub: req.sub,
      aud: req.clientId,
      exp: iat + this.config.auth.accessTokenTtlSeconds,
      iat,
      auth_time: Math.floor(req.authTime.getTime() / 1000),
      ...(req.nonce !== null && { nonce: req.nonce }),
      at_hash: atHash(req.accessToken),
      ...(req.sid !== null && { sid: req.sid }),
    };
    return signRs256Jwt({ alg: 'RS256', typ: 'JWT', kid }, claims, privateKey);
  }
}
