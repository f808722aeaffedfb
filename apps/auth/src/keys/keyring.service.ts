import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { type JWK, calculateJwkThumbprint, exportJWK } from 'jose';
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { DependencyUnavailableError, InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { KeyCipher, KeyDecryptionError } from '../crypto/key-cipher.js';
import { KekMismatchError } from './kek-mismatch.error.js';
import { SigningKeyEntity } from './signing-key.entity.js';
import { SigningKeyStore } from './signing-key.store.js';

const generateRsa = promisify(generateKeyPair);

export interface ActiveSigner {
  kid: string;
  privateKey: KeyObject;
}

export interface JwksDocument {
  body: { keys: JWK[] };
  etag: string;
}

/**
 * Signing keys: the one active key (decrypted in memory), and the public JWKS of every key a
 * verifier may meet. Private keys are only ever stored encrypted under AUTH_KEK.
 */
@Injectable()
export class Keyring implements OnModuleInit {
  private readonly logger = new Logger('Keyring');
  private readonly cipher: KeyCipher;
  private signer?: ActiveSigner;
  private jwks: JwksDocument = { body: { keys: [] }, etag: '"empty"' };
  private publicKeys = new Map<string, KeyObject>();
  /** `kid:state` of every published key at the last load: a reload that finds the same does nothing. */
  private fingerprint = '';
  private reloading?: Promise<boolean>;
  /** Kids announced as revoked: never loaded again, whatever a concurrent read saw. */
  private readonly revokedKids = new Set<string>();
  private readonly removalListeners: ((kids: readonly string[]) => void)[] = [];

  constructor(
    private readonly keys: SigningKeyStore,
    @InjectConfig() private readonly config: AuthConfig,
  ) {
    this.cipher = new KeyCipher(config.auth.kek);
  }

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey();
    await this.reload();
  }

  /**
   * The key that signs now, reloading first when the one we had was just revoked (by another
   * instance): a token is never signed with a key announced as revoked.
   */
  async currentSigner(): Promise<ActiveSigner> {
    if (!this.signer) await this.reload().catch(() => undefined);
    if (!this.signer) throw new DependencyUnavailableError('No signing key is available yet', { retryAfterSeconds: 1 });
    return this.signer;
  }

  /**
   * An emergency revocation announced on the revocation stream (possibly by another instance): forget the
   * key at once — it verifies nothing (introspection, token exchange, auth's own routes) and signs
   * nothing from now on — then reload the keyring from the database.
   */
  markRevoked(kid: string): Promise<boolean> {
    if (this.publicKeys.has(kid)) {
      const next = new Map(this.publicKeys);
      next.delete(kid);
      this.publicKeys = next;
      for (const listener of this.removalListeners) listener([kid]);
    }
    this.revokedKids.add(kid);
    if (this.signer?.kid === kid) this.signer = undefined;
    return this.reload();
  }

  /** Public key of a published key (pending, active, retiring), for introspection. */
  publicKey(kid: string): KeyObject | undefined {
    return this.publicKeys.get(kid);
  }

  jwksDocument(): JwksDocument {
    return this.jwks;
  }

  /** Called with the kids that left the published set at a reload (auth's verifier forgets what they signed). */
  onKeysRemoved(listener: (kids: readonly string[]) => void): void {
    this.removalListeners.push(listener);
  }

  /** Creates and activates a first key when none is active (first start), under a database lock. */
  async ensureActiveKey(): Promise<void> {
    await this.keys.locked(async (tx) => {
      if (await tx.existsInState('active')) return;
      const key = await this.generate('active');
      await tx.insert(key);
      await tx.audit({
        kid: key.kid,
        fromState: null,
        toState: 'active',
        actor: 'startup',
        reason: 'no active signing key',
        at: key.createdAt,
      });
      this.logger.log(`created and activated signing key ${key.kid} (RSA ${key.bits})`);
    });
  }

  /**
   * Reloads the published keys from the database when they changed (another instance rotated, a
   * timer advanced a state): one query, and nothing is rebuilt when `kid:state` is the same.
   * Concurrent callers share one reload, and a call made while one runs gets a fresh one after it.
   * Resolves whether anything changed.
   */
  reload(): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      await this.reloading?.catch(() => undefined);
      return this.load();
    };
    const p = run();
    this.reloading = p;
    return p;
  }

  private async load(): Promise<boolean> {
    const found = await this.keys.published();
    // A read that started before a revocation committed must not bring the revoked key back.
    const rows = found.filter((r) => !this.revokedKids.has(r.kid));
    const fingerprint = rows.map((r) => `${r.kid}:${r.state}`).join(',');
    if (fingerprint === this.fingerprint) return false;
    const active = rows.find((r) => r.state === 'active');
    if (!active?.privateKeyEnc) {
      this.signer = undefined;
      throw new Error('no active signing key with a private part');
    }
    let der: Buffer;
    try {
      der = this.cipher.decrypt(active.privateKeyEnc, active.kid);
    } catch (e) {
      if (e instanceof KeyDecryptionError) throw new KekMismatchError(active.kid);
      throw e;
    }
    this.signer = { kid: active.kid, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
    const keys = rows.map((r) => publicMembers(r.publicJwk, r.kid));
    const json = JSON.stringify({ keys });
    this.jwks = { body: { keys }, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
    const previous = this.publicKeys;
    this.publicKeys = new Map(
      rows.map((r) => [
        r.kid,
        previous.get(r.kid) ?? createPublicKey({ key: r.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
      ]),
    );
    const changedSigner = this.fingerprint !== '' && !this.fingerprint.includes(`${active.kid}:active`);
    this.fingerprint = fingerprint;
    const removed = [...previous.keys()].filter((kid) => !this.publicKeys.has(kid));
    if (removed.length > 0) for (const listener of this.removalListeners) listener(removed);
    if (changedSigner) this.logger.log(`keyring reloaded: now signing with ${active.kid}`);
    return true;
  }

  /** A new RSA key pair as a row: kid = RFC 7638 thumbprint; private part encrypted. */
  async generate(state: 'pending' | 'active'): Promise<SigningKeyEntity> {
    const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: this.config.auth.rsaKeyBits });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const now = new Date();
    const row = new SigningKeyEntity();
    Object.assign(row, {
      kid,
      state,
      alg: 'RS256',
      bits: this.config.auth.rsaKeyBits,
      publicJwk: publicMembers(jwk, kid),
      privateKeyEnc: this.cipher.encrypt(privateKey.export({ format: 'der', type: 'pkcs8' }), kid),
      createdAt: now,
      activatesAt: state === 'active' ? now : null,
      activatedAt: state === 'active' ? now : null,
      retiringAt: null,
      retireAfter: null,
      retiredAt: null,
      revokedAt: null,
    });
    return row;
  }
}

/** Only the public members of an RSA key, with kid/alg/use (never d, p, q, dp, dq, qi). */
export function publicMembers(jwk: JWK, kid: string): JWK {
  return { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' };
}
