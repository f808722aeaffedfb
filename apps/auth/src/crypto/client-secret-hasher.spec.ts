import { createHmac, randomBytes } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import type { AuthConfig } from '../config/auth.config.js';
import { ClientSecretHasher } from './client-secret-hasher.js';
import { SecretHasher } from './secrets.js';

const configWith = (kek: Buffer): AuthConfig => ({ auth: { kek, hashConcurrency: 2, hashQueue: 32 } }) as unknown as AuthConfig;

function hasherUnder(kek = randomBytes(32)): ClientSecretHasher {
  const config = configWith(kek);
  return new ClientSecretHasher(config, new SecretHasher(config));
}

const SECRET = randomBytes(32).toString('base64url');

describe('ClientSecretHasher (HMAC-SHA-256 under a key derived from AUTH_KEK)', () => {
  it('stores hmac-sha256$v1$<base64url MAC>, never the secret, and accepts the right secret', async () => {
    const h = hasherUnder();
    const stored = h.hash('orders', SECRET);
    expect(stored).toMatch(/^hmac-sha256\$v1\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(SECRET);
    await expect(h.verify('orders', stored, SECRET)).resolves.toEqual({ ok: true });
  });

  it('refuses a wrong secret', async () => {
    const h = hasherUnder();
    await expect(h.verify('orders', h.hash('orders', SECRET), `${SECRET}x`)).resolves.toEqual({ ok: false });
  });

  it("refuses the right secret with another client's hash (the client id is in the MAC)", async () => {
    const h = hasherUnder();
    expect(h.hash('orders', SECRET)).not.toBe(h.hash('billing', SECRET));
    await expect(h.verify('billing', h.hash('orders', SECRET), SECRET)).resolves.toEqual({ ok: false });
  });

  it('refuses a hash made under another KEK (a dump alone does not allow an offline check)', async () => {
    await expect(hasherUnder().verify('orders', hasherUnder().hash('orders', SECRET), SECRET)).resolves.toEqual({ ok: false });
  });

  it('keys the MAC with an HKDF-derived key, not the KEK itself (domain separation from key encryption)', () => {
    const kek = randomBytes(32);
    const underRawKek = createHmac('sha256', kek).update('orders\0').update(SECRET).digest('base64url');
    expect(hasherUnder(kek).hash('orders', SECRET)).not.toContain(underRawKek);
    expect(hasherUnder(kek).hash('orders', SECRET)).toBe(hasherUnder(kek).hash('orders', SECRET));
  });

  it('answers an unknown client (no stored hash) as a wrong secret', async () => {
    await expect(hasherUnder().verify('nobody', undefined, SECRET)).resolves.toEqual({ ok: false });
  });

  it('checks a legacy argon2id row with argon2 and hands back its HMAC form to store', async () => {
    const h = hasherUnder();
    const legacy = await argon2Hash(SECRET, { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 });
    const check = await h.verify('orders', legacy, SECRET);
    expect(check).toEqual({ ok: true, rehashed: h.hash('orders', SECRET) });
    await expect(h.verify('orders', (check as { rehashed: string }).rehashed, SECRET)).resolves.toEqual({ ok: true });
    await expect(h.verify('orders', legacy, 'not-the-secret')).resolves.toEqual({ ok: false });
  });

  it('keeps a legacy argon2id row whose secret fails the 128-bit rule: no HMAC form to store, weakLegacy', async () => {
    const weak = 'orders-secret-16';
    const legacy = await argon2Hash(weak, { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 });
    await expect(hasherUnder().verify('orders', legacy, weak)).resolves.toEqual({ ok: true, weakLegacy: true });
  });

  it('never throws on a malformed stored value: it is a wrong secret', async () => {
    const h = hasherUnder();
    const mac = h.hash('orders', SECRET).split('$')[2]!;
    const malformed = [
      '',
      'plaintext',
      'hmac-sha256$',
      'hmac-sha256$v1$',
      `hmac-sha256$v2$${mac}`,
      `hmac-sha256$v1$${mac.slice(1)}`,
      `hmac-sha256$v1$${mac}$extra`,
      `hmac-sha256$v1$${mac.slice(0, -1)}!`,
      `hmac-sha256$v1$${Buffer.alloc(33).toString('base64url')}`,
      '$argon2id$v=19$m=19456,t=2,p=1$garbage',
      '$argon2id$',
      `HMAC-SHA256$v1$${mac}`,
    ];
    for (const stored of malformed) await expect(h.verify('orders', stored, SECRET)).resolves.toEqual({ ok: false });
  });
});
