import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { kekSubkey } from '../crypto/client-secret-hasher.js';

/** RFC 5869 §3.2 `info`: this key is for API keys only, apart from client secrets' and the KEK's own use. */
export const API_KEY_HASH_INFO = 'authmesh/api-key-hmac/v1';

/**
 * API keys are stored as HMAC-SHA-256 under a key derived from AUTH_KEK, as client secrets are
 * (docs/decisions/008-client-secrets-keyed-hash.md): a key has 256 random bits, so there is no
 * dictionary for a slow hash to slow down, and the HMAC key means a database dump alone can't
 * even check a guess. Unlike a client secret, a key carries no id: the MAC itself is the indexed
 * lookup column (one indexed SELECT per check, no scan), which a salted or slow hash would forbid.
 */
@Injectable()
export class ApiKeyHasher {
  private readonly key: Buffer;

  constructor(@InjectConfig() config: AuthConfig) {
    this.key = kekSubkey(config.auth.kek, API_KEY_HASH_INFO);
  }

  /** The 32-byte MAC stored for (and looked up by) `apiKey`: a few microseconds. */
  hash(apiKey: string): Buffer {
    return createHmac('sha256', this.key).update(apiKey, 'utf8').digest();
  }
}
