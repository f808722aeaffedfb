import { Injectable, Logger } from '@nestjs/common';
import {
  type JwksStatus,
  type KeySource,
  type ManagedKeySource,
  type RsaVerificationKey,
  TokenUnknownKeyError,
} from '@authmesh/token-verifier';
import { Keyring } from './keyring.service.js';

/** An unknown kid reloads the keyring at most this often (a flood of random kids is one query per second). */
const UNKNOWN_KID_RELOAD_COOLDOWN_MS = 1000;

/**
 * Auth verifies its own tokens (logout, admin API) against its keyring directly: no JWKS fetch
 * from itself, and a key change is seen the moment the keyring reloads. Announcements from the
 * revocation stream (a rotation, a revoked key) reload it at once; a kid it does not know (signed
 * by another instance that rotated a moment ago) reloads it once per cooldown.
 */
@Injectable()
export class KeyringKeySource implements KeySource, ManagedKeySource {
  private readonly logger = new Logger('KeyringKeySource');
  private cache = new Map<string, RsaVerificationKey>();
  private lastUnknownKidReloadAt = Number.NEGATIVE_INFINITY;

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
    const now = Date.now();
    if (now - this.lastUnknownKidReloadAt >= UNKNOWN_KID_RELOAD_COOLDOWN_MS) {
      this.lastUnknownKidReloadAt = now;
      await this.keyring.reload().catch((e: unknown) => this.logger.warn(`keyring reload failed: ${String(e)}`));
    }
    const key = this.getKey(kid);
    if (!key) throw new TokenUnknownKeyError(`kid not in auth's keyring`);
    return key;
  }

  onKeysRemoved(listener: (kids: readonly string[]) => void): void {
    this.keyring.onKeysRemoved((kids) => {
      for (const kid of kids) this.cache.delete(kid);
      listener(kids);
    });
  }

  revokeKey(kid: string): void {
    this.keyring.markRevoked(kid).catch((e: unknown) => this.logger.warn(`keyring reload after a key revocation failed: ${String(e)}`));
  }

  /**
   * For the `jwks` readiness check, in the shape every service reports: the published kids. The
   * keyring is the source itself, so its keys are never stale (age 0, no fetch result).
   */
  status(): JwksStatus {
    const kids = this.keyring.jwksDocument().body.keys.flatMap((k) => (k.kid === undefined ? [] : [k.kid]));
    return {
      usable: kids.length > 0,
      kids,
      lastSuccessAt: kids.length > 0 ? Date.now() : undefined,
      ageSeconds: kids.length > 0 ? 0 : Number.POSITIVE_INFINITY,
      lastResult: undefined,
      lastError: undefined,
      consecutiveFailures: 0,
    };
  }

  refreshNow(): void {
    this.keyring.reload().catch((e: unknown) => this.logger.warn(`keyring reload after an announcement failed: ${String(e)}`));
  }
}
