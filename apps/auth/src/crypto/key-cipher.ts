import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The stored ciphertext can't be decrypted with this key (wrong KEK, or tampered data). */
export class KeyDecryptionError extends Error {
  static readonly code = 'key_decryption_failed';
  readonly code = KeyDecryptionError.code;
}

/**
 * AES-256-GCM envelope for private keys at rest: `version | iv | tag | ciphertext`. The kid is the
 * additional authenticated data, so a ciphertext moved to another key's row does not decrypt.
 */
export class KeyCipher {
  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new Error('key-encryption key must be 32 bytes');
  }

  encrypt(plaintext: Buffer, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
  }

  decrypt(blob: Buffer, aad: string): Buffer {
    if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new KeyDecryptionError('unknown ciphertext format');
    const iv = blob.subarray(1, 1 + IV_BYTES);
    const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.kek, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyDecryptionError('authentication tag mismatch');
    }
  }
}
