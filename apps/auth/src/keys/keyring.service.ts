import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type JWK, calculateJwkThumbprint, exportJWK } from 'jose';
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { In, type Repository } from 'typeorm';
import { InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { KeyCipher, KeyDecryptionError } from '../crypto/key-cipher.js';
import { KekMismatchError } from './kek-mismatch.error.js';
import { SigningKeyEntity } from './signing-key.entity.js';

const generateRsa = promisify(generateKeyPair);
/** States whose public key verifiers may need (DESIGN.md: pending, active, retiring). */
const PUBLISHED_STATES = ['pending', 'active', 'retiring'] as const;
// Arbitrary but fixed: serialises key creation across auth instances sharing one database.
const KEYRING_LOCK_ID = 0x61757468;

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

  constructor(
    @InjectRepository(SigningKeyEntity) private readonly keys: Repository<SigningKeyEntity>,
    @InjectConfig() private readonly config: AuthConfig,
  ) {
    this.cipher = new KeyCipher(config.auth.kek);
  }

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey();
    await this.reload();
  }

  /** The key that signs now. */
  activeSigner(): ActiveSigner {
    if (!this.signer) throw new Error('keyring not loaded');
    return this.signer;
  }

  /** Public key of a published key (pending, active, retiring), for introspection. */
  publicKey(kid: string): KeyObject | undefined {
    return this.publicKeys.get(kid);
  }

  jwksDocument(): JwksDocument {
    return this.jwks;
  }

  /** Creates and activates a first key when none is active (first start), under a database lock. */
  async ensureActiveKey(): Promise<void> {
    await this.keys.manager.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEYRING_LOCK_ID]);
      const active = await tx.count(SigningKeyEntity, { where: { state: 'active' } });
      if (active > 0) return;
      const key = await this.generate('active');
      await tx.insert(SigningKeyEntity, key);
      this.logger.log(`created and activated signing key ${key.kid} (RSA ${key.bits})`);
    });
  }

  /** Reloads every published key from the database and decrypts the active one. */
  async reload(): Promise<void> {
    const rows = await this.keys.find({ where: { state: In([...PUBLISHED_STATES]) }, order: { createdAt: 'ASC' } });
    const active = rows.find((r) => r.state === 'active');
    if (!active?.privateKeyEnc) throw new Error('no active signing key with a private part');
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
    this.publicKeys = new Map(
      rows.map((r) => [r.kid, createPublicKey({ key: r.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' })]),
    );
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
