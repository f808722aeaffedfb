import { Injectable } from '@nestjs/common';
import { type KeySource, type RsaVerificationKey, TokenUnknownKeyError } from '@authmesh/token-verifier';
import { Keyring } from './keyring.service.js';

/**
 * Auth verifies its own tokens (logout, admin API) against its keyring directly: no JWKS fetch
 * from itself, and a key change is seen the moment the keyring reloads.
 */
@Injectable()
export class KeyringKeySource implements KeySource {
  private cache = new Map<string, RsaVerificationKey>();

  constructor(private readonly keyring: Keyring) {}

  getKey(kid: string): RsaVerificationKey | undefined {
    const keyObject = this.keyring.publicKey(kid);
    if (!keyObject) return undefined;
    let key = this.cache.get(kid);
    if (key?.keyObject !== keyObject) {
      key = { kid, keyObject, modulusBytes: (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) / 8 };
      this.cache.set(kid, key);
    }
    return key;
  }

  async resolveKey(kid: string): Promise<RsaVerificationKey> {
    const key = this.getKey(kid);
    if (!key) throw new TokenUnknownKeyError(`kid not in auth's keyring`);
    return key;
  }
}
