import { randomBytes } from 'node:crypto';
import { KeyCipher, KeyDecryptionError } from './key-cipher.js';

describe('KeyCipher (AES-256-GCM)', () => {
  const secret = Buffer.from('private key bytes');

  it('round-trips with the same KEK and kid', () => {
    const c = new KeyCipher(randomBytes(32));
    expect(c.decrypt(c.encrypt(secret, 'kid1'), 'kid1')).toEqual(secret);
  });

  it('stores ciphertext, not the plaintext', () => {
    expect(new KeyCipher(randomBytes(32)).encrypt(secret, 'kid1').includes(secret)).toBe(false);
  });

  it('refuses to decrypt under another KEK', () => {
    const blob = new KeyCipher(randomBytes(32)).encrypt(secret, 'kid1');
    expect(() => new KeyCipher(randomBytes(32)).decrypt(blob, 'kid1')).toThrow(KeyDecryptionError);
  });

  it('refuses a ciphertext moved to another key row (kid is authenticated)', () => {
    const c = new KeyCipher(randomBytes(32));
    expect(() => c.decrypt(c.encrypt(secret, 'kid1'), 'kid2')).toThrow(KeyDecryptionError);
  });
});
