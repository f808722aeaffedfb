import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AuthConfig } from '../config/auth.config.js';
import type { RevocationOutbox } from '../revocation/revocation-outbox.service.js';
import { InMemorySigningKeyStore } from './in-memory-signing-key.store.js';
import { KeyNotFoundError, KeyNotRevocableError, RotationInProgressError } from './key-errors.js';
import { KeyLifecycle } from './key-lifecycle.service.js';
import { Keyring } from './keyring.service.js';
import type { SigningKeyEntity } from './signing-key.entity.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const PUBLISH_DELAY_S = 600;
const TTL_S = 900;
const TOLERANCE_S = 30;
const CHECK_S = 10;
/** A retiring key's last token expires this long after it stopped signing (TTL + tolerance + one check). */
const RETIRE_AFTER_S = TTL_S + TOLERANCE_S + CHECK_S;
const DAY_MS = 86_400_000;

function config(rotationDays = 30): AuthConfig {
  return {
    auth: {
      issuer: 'https://auth.test',
      kek: randomBytes(32),
      rsaKeyBits: 2048,
      accessTokenTtlSeconds: TTL_S,
      clockToleranceSeconds: TOLERANCE_S,
      keys: { rotationDays, publishDelaySeconds: PUBLISH_DELAY_S, checkIntervalSeconds: CHECK_S },
    },
  } as unknown as AuthConfig;
}

interface World {
  store: InMemorySigningKeyStore;
  keyring: Keyring;
  lifecycle: KeyLifecycle;
  /** How many times the lifecycle asked the outbox to deliver (after each committed change). */
  deliveries: () => number;
}

/** A lifecycle on an in-memory store and a real keyring (real RSA keys), with a first active key. */
async function world(rotationDays?: number): Promise<World> {
  const cfg = config(rotationDays);
  const store = new InMemorySigningKeyStore();
  const keyring = new Keyring(store, cfg);
  let deliveries = 0;
  // The lifecycle records announcements through the store's transaction; the outbox only delivers.
  const outbox: Pick<RevocationOutbox, 'deliver'> = {
    deliver: () => {
      deliveries++;
      return Promise.resolve(0);
    },
  };
  const lifecycle = new KeyLifecycle(store, keyring, outbox as RevocationOutbox, cfg);
  await keyring.onModuleInit();
  return { store, keyring, lifecycle, deliveries: () => deliveries };
}

const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const admin = { actor: 'user:admin-1', reason: 'test' };
const inState = (w: World, state: SigningKeyEntity['state']): SigningKeyEntity[] => w.store.keys().filter((k) => k.state === state);
const only = (w: World, state: SigningKeyEntity['state']): SigningKeyEntity => {
  const keys = inState(w, state);
  expect(keys).toHaveLength(1);
  return keys[0]!;
};
const publishedKids = (w: World): string[] => w.keyring.jwksDocument().body.keys.map((k) => k.kid!);
const signerKid = async (w: World): Promise<string> => (await w.keyring.currentSigner()).kid;

describe('KeyLifecycle: pending → active → retiring → retired, and revoked', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('starts with one active key, created at start-up and audited', async () => {
    const w = await world();
    const first = only(w, 'active');
    expect(w.store.keys()).toHaveLength(1);
    expect(await signerKid(w)).toBe(first.kid);
    expect(w.store.auditTrail()).toMatchObject([{ kid: first.kid, fromState: null, toState: 'active', actor: 'startup' }]);
  });

  describe('a planned rotation', () => {
    it('publishes a pending key at once that signs only after the publish delay', async () => {
      const w = await world();
      const old = only(w, 'active');
      const { key, previous } = await w.lifecycle.rotate({ now: false, ...admin });

      expect(previous).toBeNull();
      expect(key.state).toBe('pending');
      expect(key.activatesAt).toEqual(at(PUBLISH_DELAY_S));
      expect(publishedKids(w)).toEqual([old.kid, key.kid]);
      expect(await signerKid(w)).toBe(old.kid);
      expect(w.store.auditTrail().at(-1)).toMatchObject({ kid: key.kid, fromState: null, toState: 'pending', actor: admin.actor });
      // Verifiers and other instances learn of it through the outbox, recorded with the change.
      expect(w.store.announcements()).toEqual([{ kind: 'keyset', issuer: 'https://auth.test', changedAtMs: T0.getTime() }]);
      expect(w.deliveries()).toBe(1);
    });

    it('refuses a second planned rotation while a key is pending, and changes nothing (409 rotation_in_progress)', async () => {
      const w = await world();
      const { key } = await w.lifecycle.rotate({ now: false, ...admin });
      const before = { keys: w.store.keys(), audit: w.store.auditTrail(), announced: w.store.announcements() };

      const refused = w.lifecycle.rotate({ now: false, ...admin });
      await expect(refused).rejects.toBeInstanceOf(RotationInProgressError);
      await expect(refused).rejects.toMatchObject({ code: 'rotation_in_progress', status: 409, details: { kid: key.kid } });
      expect({ keys: w.store.keys(), audit: w.store.auditTrail(), announced: w.store.announcements() }).toEqual(before);
    });

    it('leaves the pending key pending until its activation time, then promotes it and retires the old one', async () => {
      const w = await world();
      const old = only(w, 'active');
      const { key } = await w.lifecycle.rotate({ now: false, ...admin });

      expect(await w.lifecycle.advance(at(PUBLISH_DELAY_S - 1))).toBe(false);
      expect(only(w, 'pending').kid).toBe(key.kid);
      expect(w.store.announcements()).toHaveLength(1);

      jest.setSystemTime(at(PUBLISH_DELAY_S));
      expect(await w.lifecycle.advance(at(PUBLISH_DELAY_S))).toBe(true);
      expect(only(w, 'active')).toMatchObject({ kid: key.kid, activatedAt: at(PUBLISH_DELAY_S) });
      expect(only(w, 'retiring')).toMatchObject({
        kid: old.kid,
        retiringAt: at(PUBLISH_DELAY_S),
        retireAfter: at(PUBLISH_DELAY_S + RETIRE_AFTER_S),
      });
      expect(await signerKid(w)).toBe(key.kid);
      // The retiring key is still published: tokens it signed are still live.
      expect(publishedKids(w)).toEqual([old.kid, key.kid]);
      expect(w.store.auditTrail().slice(-2)).toMatchObject([
        { kid: old.kid, fromState: 'active', toState: 'retiring', actor: 'scheduler', reason: `replaced by ${key.kid}` },
        { kid: key.kid, fromState: 'pending', toState: 'active', actor: 'scheduler', reason: 'publish delay elapsed' },
      ]);
      expect(w.store.announcements()).toHaveLength(2);
    });
  });

  describe('retiring', () => {
    it('retires a retiring key only once every token it signed has expired, destroying its private part', async () => {
      const w = await world();
      const old = only(w, 'active');
      await w.lifecycle.rotate({ now: true, ...admin });
      const retireAfter = only(w, 'retiring').retireAfter!;
      expect(retireAfter).toEqual(at(RETIRE_AFTER_S));

      expect(await w.lifecycle.advance(at(RETIRE_AFTER_S - 1))).toBe(false);
      expect(only(w, 'retiring').privateKeyEnc).not.toBeNull();

      expect(await w.lifecycle.advance(at(RETIRE_AFTER_S))).toBe(true);
      expect(w.store.key(old.kid)).toMatchObject({ state: 'retired', retiredAt: at(RETIRE_AFTER_S), privateKeyEnc: null });
      expect(publishedKids(w)).not.toContain(old.kid);
      expect(w.store.auditTrail().at(-1)).toMatchObject({
        kid: old.kid,
        fromState: 'retiring',
        toState: 'retired',
        reason: 'every token it signed has expired',
      });
    });

    it('does nothing, and announces nothing, when nothing is due', async () => {
      const w = await world();
      expect(await w.lifecycle.advance(at(60))).toBe(false);
      expect(w.store.announcements()).toEqual([]);
      expect(w.deliveries()).toBe(0);
    });
  });

  describe('rotate --now', () => {
    it('activates a new key at once when none is pending; the previous one starts retiring', async () => {
      const w = await world();
      const old = only(w, 'active');
      const { key, previous } = await w.lifecycle.rotate({ now: true, ...admin });

      expect(previous?.kid).toBe(old.kid);
      expect(key).toMatchObject({ state: 'active', activatedAt: T0, activatesAt: T0 });
      expect(only(w, 'retiring').kid).toBe(old.kid);
      expect(inState(w, 'pending')).toEqual([]);
      expect(await signerKid(w)).toBe(key.kid);
      expect(
        w.store
          .auditTrail()
          .slice(-3)
          .map((e) => [e.kid, e.fromState, e.toState]),
      ).toEqual([
        [key.kid, null, 'pending'],
        [old.kid, 'active', 'retiring'],
        [key.kid, 'pending', 'active'],
      ]);
    });

    it('promotes the pending key rather than making another (verifiers already hold it)', async () => {
      const w = await world();
      const { key: pending } = await w.lifecycle.rotate({ now: false, ...admin });
      const { key } = await w.lifecycle.rotate({ now: true, ...admin });
      expect(key.kid).toBe(pending.kid);
      expect(only(w, 'active').kid).toBe(pending.kid);
      expect(w.store.keys()).toHaveLength(2);
    });
  });

  describe('scheduled rotation (AUTH_KEY_ROTATION_DAYS)', () => {
    it('starts a planned rotation once the active key is older than the rotation period', async () => {
      const w = await world(30);
      expect(await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS - 1))).toBe(false);

      const due = new Date(T0.getTime() + 30 * DAY_MS);
      expect(await w.lifecycle.advance(due)).toBe(true);
      expect(only(w, 'pending')).toMatchObject({ activatesAt: new Date(due.getTime() + PUBLISH_DELAY_S * 1000) });
      expect(w.store.auditTrail().at(-1)).toMatchObject({ actor: 'scheduler', reason: 'scheduled rotation (AUTH_KEY_ROTATION_DAYS=30)' });
    });

    it('counts the period from activation, not creation', async () => {
      const w = await world(30);
      await w.lifecycle.rotate({ now: false, ...admin });
      await w.lifecycle.advance(at(PUBLISH_DELAY_S));
      // 30 days after T0 the active key is only 30 days minus the publish delay old: this tick
      // retires the old key, and starts no rotation.
      expect(await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS))).toBe(true);
      expect(inState(w, 'pending')).toEqual([]);
      expect(await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS + PUBLISH_DELAY_S * 1000))).toBe(true);
      expect(inState(w, 'pending')).toHaveLength(1);
    });

    it('never starts a second rotation while one is pending', async () => {
      const w = await world(30);
      await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS));
      // The active key is still past due, but a key is already pending: no second one.
      await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS + 1000));
      expect(inState(w, 'pending')).toHaveLength(1);
    });

    it('rotates only on demand when the period is 0', async () => {
      const w = await world(0);
      expect(await w.lifecycle.advance(new Date(T0.getTime() + 3650 * DAY_MS))).toBe(false);
      expect(w.store.keys()).toHaveLength(1);
    });
  });

  describe('emergency revocation', () => {
    it('revokes the active key: out of the JWKS at once, private part destroyed, the pending key signs', async () => {
      const w = await world();
      const old = only(w, 'active');
      const { key: pending } = await w.lifecycle.rotate({ now: false, ...admin });

      const { revoked, active } = await w.lifecycle.revokeKey(old.kid, admin);
      expect(revoked).toMatchObject({ kid: old.kid, state: 'revoked', revokedAt: T0, privateKeyEnc: null });
      expect(active.kid).toBe(pending.kid);
      expect(w.store.key(old.kid)).toMatchObject({ state: 'revoked', privateKeyEnc: null });
      expect(only(w, 'active').kid).toBe(pending.kid);
      expect(publishedKids(w)).toEqual([pending.kid]);
      expect(await signerKid(w)).toBe(pending.kid);
      // Verifiers drop the kid now (`revoked:kid:<kid>`), not at their next JWKS refresh.
      expect(w.store.announcements().slice(-2)).toEqual([
        { kind: 'kid', kid: old.kid, revokedAtMs: T0.getTime() },
        { kind: 'keyset', issuer: 'https://auth.test', changedAtMs: T0.getTime() },
      ]);
    });

    it('creates and activates a replacement when the revoked active key had no pending successor', async () => {
      const w = await world();
      const old = only(w, 'active');
      const { active } = await w.lifecycle.revokeKey(old.kid, admin);
      expect(active.kid).not.toBe(old.kid);
      expect(only(w, 'active').kid).toBe(active.kid);
      expect(
        w.store
          .auditTrail()
          .slice(-3)
          .map((e) => [e.kid, e.fromState, e.toState, e.reason]),
      ).toEqual([
        [old.kid, 'active', 'revoked', 'test'],
        [active.kid, null, 'pending', `replaces revoked key ${old.kid}`],
        [active.kid, 'pending', 'active', `replaces revoked key ${old.kid}`],
      ]);
    });

    it('revokes a pending or retiring key without touching the active one', async () => {
      const w = await world();
      const first = only(w, 'active');
      await w.lifecycle.rotate({ now: true, ...admin });
      const current = only(w, 'active');
      const { key: pending } = await w.lifecycle.rotate({ now: false, ...admin });

      expect((await w.lifecycle.revokeKey(pending.kid, admin)).active.kid).toBe(current.kid);
      expect((await w.lifecycle.revokeKey(first.kid, admin)).active.kid).toBe(current.kid);
      expect(only(w, 'active').kid).toBe(current.kid);
      expect(
        inState(w, 'revoked')
          .map((k) => k.kid)
          .sort(),
      ).toEqual([first.kid, pending.kid].sort());
      expect(publishedKids(w)).toEqual([current.kid]);
    });

    it('refuses to revoke a retired or revoked key (409 key_not_revocable) and an unknown kid (404 key_not_found)', async () => {
      const w = await world();
      const old = only(w, 'active');
      await w.lifecycle.rotate({ now: true, ...admin });
      await w.lifecycle.advance(at(RETIRE_AFTER_S));
      const retired = w.lifecycle.revokeKey(old.kid, admin);
      await expect(retired).rejects.toBeInstanceOf(KeyNotRevocableError);
      await expect(retired).rejects.toMatchObject({ code: 'key_not_revocable', status: 409, details: { state: 'retired' } });

      const current = only(w, 'active');
      await w.lifecycle.revokeKey(current.kid, admin);
      await expect(w.lifecycle.revokeKey(current.kid, admin)).rejects.toMatchObject({
        code: 'key_not_revocable',
        details: { state: 'revoked' },
      });

      const unknown = w.lifecycle.revokeKey('no-such-kid', admin);
      await expect(unknown).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(unknown).rejects.toMatchObject({ code: 'key_not_found', status: 404 });
    });
  });

  describe('several instances', () => {
    it('skips the timer tick while another instance holds the keyring lock (that one does the work)', async () => {
      const w = await world(30);
      const release = await w.store.holdLock();
      expect(await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS))).toBe(false);
      release();
      expect(await w.lifecycle.advance(new Date(T0.getTime() + 30 * DAY_MS))).toBe(true);
    });

    it('makes an admin change wait for the lock rather than skip it', async () => {
      const w = await world();
      const release = await w.store.holdLock();
      let done = false;
      const rotation = w.lifecycle.rotate({ now: true, ...admin }).then(() => (done = true));
      await new Promise((r) => setImmediate(r));
      expect(done).toBe(false);
      release();
      await rotation;
      expect(inState(w, 'retiring')).toHaveLength(1);
    });
  });

  it('lists keys newest first and the audit trail newest first, per key', async () => {
    const w = await world();
    const old = only(w, 'active');
    jest.setSystemTime(at(1));
    const { key } = await w.lifecycle.rotate({ now: true, ...admin });
    expect((await w.lifecycle.list()).map((k) => k.kid)).toEqual([key.kid, old.kid]);
    expect((await w.lifecycle.events(old.kid)).map((e) => e.toState)).toEqual(['retiring', 'active']);
    expect(await w.lifecycle.events(undefined, 1)).toHaveLength(1);
  });
});
