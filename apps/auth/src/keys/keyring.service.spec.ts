import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { type JsonWebKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { DependencyUnavailableError } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';
import { InMemorySigningKeyStore } from './in-memory-signing-key.store.js';
import { KekMismatchError } from './kek-mismatch.error.js';
import { Keyring, publicMembers } from './keyring.service.js';
import type { SigningKeyEntity, SigningKeyState } from './signing-key.entity.js';

const T0 = new Date('2030-01-01T00:00:00Z');

function config(kek = randomBytes(32)): AuthConfig {
  return { auth: { kek, rsaKeyBits: 2048 } } as unknown as AuthConfig;
}

/** A keyring on an in-memory store; `keys` are created with the keyring's own generator, in order. */
async function keyringWith(
  ...states: SigningKeyState[]
): Promise<{ keyring: Keyring; store: InMemorySigningKeyStore; rows: SigningKeyEntity[] }> {
  const cfg = config();
  const store = new InMemorySigningKeyStore();
  const keyring = new Keyring(store, cfg);
  const rows: SigningKeyEntity[] = [];
  for (const [i, state] of states.entries()) {
    const row = await keyring.generate(state === 'active' ? 'active' : 'pending');
    row.state = state;
    row.createdAt = new Date(T0.getTime() + i * 1000);
    if (state === 'retired' || state === 'revoked') row.privateKeyEnc = null;
    store.put(row);
    rows.push(row);
  }
  return { keyring, store, rows };
}

const publishedKids = (keyring: Keyring): string[] => keyring.jwksDocument().body.keys.map((k) => k.kid!);
const move = (store: InMemorySigningKeyStore, row: SigningKeyEntity, state: SigningKeyState): void =>
  store.put({ ...row, state, privateKeyEnc: state === 'retired' || state === 'revoked' ? null : row.privateKeyEnc });

describe('Keyring: which keys are published and which one signs', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('creates and activates a first key on an empty store, once', async () => {
    const { keyring, store } = await keyringWith();
    await keyring.onModuleInit();
    await keyring.ensureActiveKey();
    expect(store.keys()).toHaveLength(1);
    const [first] = store.keys();
    expect(first).toMatchObject({ state: 'active', alg: 'RS256', bits: 2048, activatedAt: T0 });
    expect(store.auditTrail()).toMatchObject([{ kid: first!.kid, fromState: null, toState: 'active', actor: 'startup' }]);
    expect((await keyring.currentSigner()).kid).toBe(first!.kid);
  });

  it('publishes pending, active and retiring keys, oldest first, and never retired or revoked ones', async () => {
    const { keyring, rows } = await keyringWith('retired', 'retiring', 'revoked', 'active', 'pending');
    await keyring.reload();
    expect(publishedKids(keyring)).toEqual([rows[1]!.kid, rows[3]!.kid, rows[4]!.kid]);
    for (const row of [rows[1]!, rows[3]!, rows[4]!]) expect(keyring.publicKey(row.kid)).toBeDefined();
    for (const row of [rows[0]!, rows[2]!]) expect(keyring.publicKey(row.kid)).toBeUndefined();
  });

  it('signs with the active key only (not the pending one, not the retiring one)', async () => {
    const { keyring, rows } = await keyringWith('retiring', 'active', 'pending');
    await keyring.reload();
    const signer = await keyring.currentSigner();
    expect(signer.kid).toBe(rows[1]!.kid);
    const data = Buffer.from('signed by the active key');
    const signature = sign('sha256', data, signer.privateKey);
    const activeJwk = keyring.jwksDocument().body.keys.find((k) => k.kid === rows[1]!.kid)!;
    expect(verify('sha256', data, createPublicKey({ key: activeJwk as JsonWebKey, format: 'jwk' }), signature)).toBe(true);
  });

  it('publishes only public members with kid, alg RS256 and use sig', async () => {
    const { keyring } = await keyringWith('active');
    await keyring.reload();
    for (const jwk of keyring.jwksDocument().body.keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    }
    expect(publicMembers({ kty: 'RSA', n: 'n', e: 'AQAB', d: 'secret', p: 'p', q: 'q' }, 'k1')).toEqual({
      kty: 'RSA',
      n: 'n',
      e: 'AQAB',
      kid: 'k1',
      alg: 'RS256',
      use: 'sig',
    });
  });

  it('keeps the JWKS and its ETag while the published set is the same, and changes them when it changes', async () => {
    const { keyring, store, rows } = await keyringWith('active', 'pending');
    expect(await keyring.reload()).toBe(true);
    const before = keyring.jwksDocument();
    expect(await keyring.reload()).toBe(false);
    expect(keyring.jwksDocument()).toBe(before);

    // A promotion changes who signs, not what verifiers fetch: same keys, same ETag (304 stays valid).
    move(store, rows[0]!, 'retiring');
    move(store, rows[1]!, 'active');
    expect(await keyring.reload()).toBe(true);
    expect((await keyring.currentSigner()).kid).toBe(rows[1]!.kid);
    expect(keyring.jwksDocument().etag).toBe(before.etag);

    move(store, rows[0]!, 'retired');
    expect(await keyring.reload()).toBe(true);
    expect(keyring.jwksDocument().etag).not.toBe(before.etag);
    expect(publishedKids(keyring)).toEqual([rows[1]!.kid]);
  });

  it('tells its listeners which kids left the published set at a reload', async () => {
    const { keyring, store, rows } = await keyringWith('retiring', 'active');
    await keyring.reload();
    const removed: string[][] = [];
    keyring.onKeysRemoved((kids) => removed.push([...kids]));
    move(store, rows[0]!, 'retired');
    await keyring.reload();
    expect(removed).toEqual([[rows[0]!.kid]]);
    expect(publishedKids(keyring)).toEqual([rows[1]!.kid]);
  });

  it('forgets a key announced as revoked at once, and does not load it again from a stale read', async () => {
    const { keyring, rows } = await keyringWith('retiring', 'active');
    await keyring.reload();
    const removed: string[][] = [];
    keyring.onKeysRemoved((kids) => removed.push([...kids]));
    // The store still has it retiring (the revocation's commit is not visible to this read).
    await keyring.markRevoked(rows[0]!.kid);
    expect(removed).toEqual([[rows[0]!.kid]]);
    expect(keyring.publicKey(rows[0]!.kid)).toBeUndefined();
    expect(publishedKids(keyring)).toEqual([rows[1]!.kid]);
  });

  it('stops signing with a revoked active key, and signs with its replacement once it is in the store', async () => {
    const { keyring, store, rows } = await keyringWith('active', 'pending');
    await keyring.reload();
    // Announced before the replacement is visible: nothing may be signed with the revoked key.
    await expect(keyring.markRevoked(rows[0]!.kid)).rejects.toThrow('no active signing key');
    await expect(keyring.currentSigner()).rejects.toBeInstanceOf(DependencyUnavailableError);
    move(store, rows[0]!, 'revoked');
    move(store, rows[1]!, 'active');
    expect((await keyring.currentSigner()).kid).toBe(rows[1]!.kid);
  });

  it('answers 503 (retry in a second) when there is no active key to sign with', async () => {
    const { keyring } = await keyringWith('pending');
    await expect(keyring.reload()).rejects.toThrow('no active signing key');
    const refused = keyring.currentSigner();
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(refused).rejects.toMatchObject({ status: 503 });
  });

  it('refuses to start with a KEK that does not decrypt the active key (kek_mismatch)', async () => {
    const { store } = await keyringWith('active');
    const other = new Keyring(store, config(randomBytes(32)));
    const refused = other.reload();
    await expect(refused).rejects.toBeInstanceOf(KekMismatchError);
    await expect(refused).rejects.toMatchObject({ code: KekMismatchError.code });
  });
});
