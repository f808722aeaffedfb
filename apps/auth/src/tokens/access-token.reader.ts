import { Injectable } from '@nestjs/common';
import { type JWTPayload, decodeProtectedHeader, jwtVerify } from 'jose';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { Keyring } from '../keys/keyring.service.js';

/** Verifies auth's own access tokens against its keyring (for introspection); null when not valid. */
@Injectable()
export class AccessTokenReader {
  constructor(
    private readonly keyring: Keyring,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  async read(token: string): Promise<JWTPayload | null> {
    if (token.length > 8192) return null;
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = kid ? this.keyring.publicKey(kid) : undefined;
      if (!key) return null;
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['RS256'], // RFC 8725 §3.1: never let the token choose the algorithm
        issuer: this.config.auth.issuer,
        typ: 'at+jwt',
        clockTolerance: 30,
      });
      return payload;
    } catch {
      return null;
    }
  }
}
