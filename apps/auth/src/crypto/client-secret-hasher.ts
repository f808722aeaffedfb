import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { InjectConfig } from '@authmesh/platform';
import { clientSecretProblems } from '../clients/client-secret-rules.js';
import type { AuthConfig } from '../config/auth.config.js';
import { SecretHasher } from './secrets.js';

/** The stored form's prefix: `hmac-sha256$v1$<base64url of the 32-byte MAC>`. */
const PREFIX = 'hmac-sha256$';
/**
 * The key generation: v1 is HKDF(AUTH_KEK, CLIENT_SECRET_KEY_INFO). AUTH_KEK has no rotation (a
 * second, previous KEK) today; when it gets one, its generation goes here and `verify` tries the
 * previous key for rows that name it, upgrading them as it does argon2 rows.
 */
const KEY_VERSION = 'v1';
/** RFC 5869 §3.2 `info`: binds the derived key to this one use, apart from the KEK's own (AES-256-GCM of signing keys). */
export const CLIENT_SECRET_KEY_INFO = 'authmesh/client-secret-hmac/v1';
const MAC_BYTES = 32;

/**
 * A 32-byte key for one use, derived from AUTH_KEK with HKDF-SHA-256 (RFC 5869): no salt (§3.1:
 * optional when the input key is already uniformly random), `info` naming the use (§3.2), so no
 * two uses (client secrets, API keys, the KEK's own AES-GCM) ever share a key.
 */
export function kekSubkey(kek: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), info, MAC_BYTES));
}
const MAC_BASE64URL = /^[A-Za-z0-9_-]{43}$/;

/**
 * What a check found: wrong, or right — with the HMAC form to store when the row held a legacy
 * argon2 hash of a strong secret, or `weakLegacy` when it held one of a secret too weak for the
 * fast hash (the row stays argon2; the operator must rotate it).
 */
export type ClientSecretCheck = { readonly ok: false } | { readonly ok: true; readonly rehashed?: string; readonly weakLegacy?: true };

/**
 * Client secrets under a keyed fast hash: HMAC-SHA-256(k, clientId NUL secret), k derived from
 * AUTH_KEK with HKDF-SHA-256. Every secret a client holds has at least 128 bits of entropy (auth
 * generates 256; operator-supplied ones must pass `clientSecretProblems`), so a slow password hash
 * buys nothing against a dictionary — there is none — and costs ~50 ms of CPU per token request;
 * the key means a database dump alone does not even allow an offline check
 * (docs/decisions/008-client-secrets-keyed-hash.md). The client id is in the MAC, so a dump does
 * not tell which clients share a secret, and a hash copied to another row does not verify there.
 *
 * Rows written before this (`$argon2id$…`) are checked with argon2 once, through the password
 * hasher's bounded queue, and the caller stores the `rehashed` form it gets back.
 */
@Injectable()
export class ClientSecretHasher {
  private readonly key: Buffer;
  /**
   * Parsed and compared against when there is no row (or it is malformed): an unknown client costs
   * what a wrong secret does, parsing included (no client enumeration by timing).
   */
  private readonly dummyStored = `${PREFIX}${KEY_VERSION}$${randomBytes(MAC_BYTES).toString('base64url')}`;

  constructor(
    @InjectConfig() config: AuthConfig,
    private readonly legacy: SecretHasher,
  ) {
    this.key = kekSubkey(config.auth.kek, CLIENT_SECRET_KEY_INFO);
  }

  /** The stored form of `secret` for `clientId`. Synchronous: a few microseconds. */
  hash(clientId: string, secret: string): string {
    return `${PREFIX}${KEY_VERSION}$${this.mac(clientId, secret).toString('base64url')}`;
  }

  /**
   * Checks `secret` against `stored` (the client's row; undefined when there is no such client).
   * Never throws for a malformed stored value (false); a legacy row's check may be refused with
   * 503 `hashing_busy` by the password hasher's queue.
   */
  async verify(clientId: string, stored: string | undefined, secret: string): Promise<ClientSecretCheck> {
    if (stored !== undefined && stored.startsWith('$argon2')) {
      if (!(await this.legacy.verify(stored, secret))) return { ok: false };
      // Legacy rows predate the 128-bit rule (seeded secrets needed 16 characters): under the fast
      // hash a weak one falls to a dictionary run by whoever holds a dump and the KEK. It keeps
      // its slow argon2 hash until the operator rotates it (ClientsService warns).
      if (clientSecretProblems(secret).length > 0) return { ok: true, weakLegacy: true };
      return { ok: true, rehashed: this.hash(clientId, secret) };
    }
    // Same work for a known and an unknown client: one parse, one HMAC, one constant-time compare of 32 bytes.
    const real = stored === undefined ? undefined : this.storedMac(stored);
    const expected = real ?? this.storedMac(this.dummyStored)!;
    const ok = timingSafeEqual(this.mac(clientId, secret), expected);
    return ok && real !== undefined ? { ok: true } : { ok: false };
  }

  private mac(clientId: string, secret: string): Buffer {
    // NUL separates the two: a client id never holds one (CLIENT_ID_PATTERN), so (id, secret) pairs can't collide.
    return createHmac('sha256', this.key).update(clientId, 'utf8').update('\0').update(secret, 'utf8').digest();
  }

  /** The MAC of an `hmac-sha256$v1$…` value; undefined for anything else (another version, bad base64url, a wrong length). */
  private storedMac(stored: string): Buffer | undefined {
    if (!stored.startsWith(PREFIX)) return undefined;
    const [version, encoded, ...rest] = stored.slice(PREFIX.length).split('$');
    if (version !== KEY_VERSION || encoded === undefined || rest.length > 0 || !MAC_BASE64URL.test(encoded)) return undefined;
    return Buffer.from(encoded, 'base64url');
  }
}
