import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig } from '@authmesh/platform';
import type { RevocationEvent } from '@authmesh/revocation';
import type { AuthConfig } from '../config/auth.config.js';
import { RevocationOutbox } from '../revocation/revocation-outbox.service.js';
import { KeyNotFoundError, KeyNotRevocableError, RotationInProgressError } from './key-errors.js';
import { Keyring } from './keyring.service.js';
import type { SigningKeyEventEntity } from './signing-key-event.entity.js';
import type { SigningKeyEntity, SigningKeyState } from './signing-key.entity.js';
import { SigningKeyStore, type SigningKeyTransaction } from './signing-key.store.js';

/** Who asked for a change, and why: every transition is written to `signing_key_events`. */
export interface KeyChangeRequest {
  /** `scheduler`, `client:<id>`, `user:<sub>`. */
  actor: string;
  reason: string;
}

export interface RotationResult {
  /** The new key: pending (planned) or active (`now`). */
  key: SigningKeyEntity;
  /** With `now`: the key that was active and is now retiring. */
  previous: SigningKeyEntity | null;
}

export interface KeyRevocationResult {
  revoked: SigningKeyEntity;
  /** The key that signs now (a replacement when the revoked key was the active one). */
  active: SigningKeyEntity;
}

/**
 * The signing-key lifecycle (docs/architecture.md, "Signing keys and rotation"): pending → active → retiring → retired,
 * and revoked in an emergency. Every change runs in one transaction under a Postgres advisory lock,
 * so with several auth instances on one database exactly one performs each transition (the others
 * wait for the lock, or, for the timer, skip this tick) and finds the work done; each is audited.
 * After commit the change is announced through the revocation outbox (Redis channel): every
 * auth instance reloads its keyring and every verifier refetches the JWKS, or drops a revoked key.
 */
@Injectable()
export class KeyLifecycle {
  private readonly logger = new Logger('KeyLifecycle');

  constructor(
    private readonly store: SigningKeyStore,
    private readonly keyring: Keyring,
    private readonly outbox: RevocationOutbox,
    @InjectConfig() private readonly config: AuthConfig,
  ) {}

  /** Every key, newest first. */
  list(): Promise<SigningKeyEntity[]> {
    return this.store.list();
  }

  /** The audit trail, newest first (at most `limit`). */
  events(kid?: string, limit = 200): Promise<SigningKeyEventEntity[]> {
    return this.store.events(kid, limit);
  }

  /**
   * Planned rotation: a new key, pending, published at once and signing after the publish delay
   * (longer than the JWKS max-age, so every verifier holds it before it meets a token it signed).
   * `now`: promote at once (the pending key if there is one, else a new key); verifiers learn it
   * through the announcement or the unknown-kid refetch.
   */
  async rotate(options: { now: boolean } & KeyChangeRequest): Promise<RotationResult> {
    const at = new Date();
    const result = await this.store.locked(async (tx) => {
      const pending = await tx.findInState('pending');
      if (pending && !options.now) throw new RotationInProgressError(pending.kid, pending.activatesAt);
      // The announcement is part of the change: recorded in the same transaction, never lost.
      await tx.announce([this.keysetEvent(at)]);
      if (options.now) {
        const next = pending ?? (await this.createPending(tx, at, at, options));
        const previous = await this.promote(tx, next, at, options);
        return { key: next, previous };
      }
      const activatesAt = new Date(at.getTime() + this.config.auth.keys.publishDelaySeconds * 1000);
      return { key: await this.createPending(tx, at, activatesAt, options), previous: null };
    });
    await this.settle();
    return result;
  }

  /**
   * Emergency: the key leaves the JWKS at once, its private part is destroyed, and if it was
   * signing, another key signs from now on (the pending one if any, since verifiers already hold
   * it; else a new one). The revocation goes through the outbox: `revoked:kid:<kid>` in Redis and
   * an announcement that makes every verifier drop the key now, not at its next JWKS refresh.
   */
  async revokeKey(kid: string, request: KeyChangeRequest): Promise<KeyRevocationResult> {
    const at = new Date();
    const result = await this.store.locked(async (tx) => {
      const key = await tx.findByKid(kid);
      if (!key) throw new KeyNotFoundError(kid);
      if (key.state === 'retired' || key.state === 'revoked') throw new KeyNotRevocableError(kid, key.state);
      const wasActive = key.state === 'active';
      await this.transition(tx, key, 'revoked', at, request, { revokedAt: at, privateKeyEnc: null });
      let active: SigningKeyEntity;
      if (wasActive) {
        const pending = await tx.findInState('pending');
        active = pending ?? (await this.createPending(tx, at, at, { actor: request.actor, reason: `replaces revoked key ${kid}` }));
        await this.transition(
          tx,
          active,
          'active',
          at,
          { actor: request.actor, reason: `replaces revoked key ${kid}` },
          { activatedAt: at },
        );
      } else {
        active = (await tx.findInState('active'))!;
      }
      await tx.announce([{ kind: 'kid', kid, revokedAtMs: at.getTime() }, this.keysetEvent(at)]);
      return { revoked: key, active };
    });
    this.logger.warn(`signing key ${kid} REVOKED by ${request.actor}: ${request.reason}; now signing with ${result.active.kid}`);
    await this.settle();
    return result;
  }

  /**
   * What the timer runs on every instance: promote a pending key whose publish delay is over,
   * retire retiring keys whose last token has expired (+ tolerance), and start a planned rotation
   * when the active key is older than AUTH_KEY_ROTATION_DAYS. Takes the lock without waiting: if
   * another instance holds it, that one is doing this work. Resolves whether anything changed.
   */
  async advance(at = new Date()): Promise<boolean> {
    const scheduler = { actor: 'scheduler' };
    const changed = await this.store.tryLocked(async (tx) => {
      let changes = 0;
      const pending = await tx.findInState('pending');
      if (pending?.activatesAt && pending.activatesAt <= at) {
        await this.promote(tx, pending, at, { ...scheduler, reason: 'publish delay elapsed' });
        changes++;
      }
      const retiring = await tx.findAllInState('retiring');
      for (const key of retiring) {
        if (!key.retireAfter || key.retireAfter > at) continue;
        await this.transition(
          tx,
          key,
          'retired',
          at,
          { ...scheduler, reason: 'every token it signed has expired' },
          {
            retiredAt: at,
            privateKeyEnc: null,
          },
        );
        changes++;
      }
      const days = this.config.auth.keys.rotationDays;
      if (days > 0 && !(await tx.existsInState('pending'))) {
        const active = await tx.findInState('active');
        const since = active?.activatedAt ?? active?.createdAt;
        if (since && since.getTime() + days * 86_400_000 <= at.getTime()) {
          const activatesAt = new Date(at.getTime() + this.config.auth.keys.publishDelaySeconds * 1000);
          await this.createPending(tx, at, activatesAt, { ...scheduler, reason: `scheduled rotation (AUTH_KEY_ROTATION_DAYS=${days})` });
          changes++;
        }
      }
      if (changes > 0) await tx.announce([this.keysetEvent(at)]);
      return changes > 0;
    }, false);
    if (changed) await this.settle();
    return changed;
  }

  /** A new key, pending until `activatesAt`, audited. */
  private async createPending(
    tx: SigningKeyTransaction,
    at: Date,
    activatesAt: Date,
    request: KeyChangeRequest,
  ): Promise<SigningKeyEntity> {
    const key = await this.keyring.generate('pending');
    key.createdAt = at;
    key.activatesAt = activatesAt;
    await tx.insert(key);
    await this.audit(tx, key.kid, null, 'pending', at, request);
    return key;
  }

  /** `next` becomes the active key; the active one (if any) retires once its tokens have expired. */
  private async promote(
    tx: SigningKeyTransaction,
    next: SigningKeyEntity,
    at: Date,
    request: KeyChangeRequest,
  ): Promise<SigningKeyEntity | null> {
    const previous = await tx.findInState('active');
    if (previous) {
      // Other instances may sign with it until they reload (one check interval at worst), and a
      // token it signed lives for the access-token TTL, plus the verifiers' clock tolerance.
      const { accessTokenTtlSeconds, clockToleranceSeconds, keys } = this.config.auth;
      const retireAfter = new Date(at.getTime() + (accessTokenTtlSeconds + clockToleranceSeconds + keys.checkIntervalSeconds) * 1000);
      await this.transition(
        tx,
        previous,
        'retiring',
        at,
        { actor: request.actor, reason: `replaced by ${next.kid}` },
        {
          retiringAt: at,
          retireAfter,
        },
      );
    }
    await this.transition(tx, next, 'active', at, request, { activatedAt: at });
    return previous;
  }

  private async transition(
    tx: SigningKeyTransaction,
    key: SigningKeyEntity,
    to: SigningKeyState,
    at: Date,
    request: KeyChangeRequest,
    changes: Partial<SigningKeyEntity>,
  ): Promise<void> {
    const from = key.state;
    Object.assign(key, changes, { state: to });
    await tx.update(key.kid, { ...changes, state: to });
    await this.audit(tx, key.kid, from, to, at, request);
    this.logger.log(`signing key ${key.kid}: ${from} → ${to} (${request.actor}: ${request.reason})`);
  }

  private audit(
    tx: SigningKeyTransaction,
    kid: string,
    from: SigningKeyState | null,
    to: SigningKeyState,
    at: Date,
    request: KeyChangeRequest,
  ): Promise<unknown> {
    return tx.audit({ kid, fromState: from, toState: to, actor: request.actor, reason: request.reason, at });
  }

  /** "The key set of this issuer changed": verifiers refetch, other auth instances reload. */
  private keysetEvent(at: Date): RevocationEvent {
    return { kind: 'keyset', issuer: this.config.auth.issuer, changedAtMs: at.getTime() };
  }

  /**
   * After a committed change: this instance signs and publishes from the new state at once, and the
   * announcement is delivered. Neither failure undoes the change or fails the call (a retried
   * `rotate --now` would rotate twice): the timer reloads and the outbox replays.
   */
  private async settle(): Promise<void> {
    await this.keyring.reload().catch((e: unknown) => this.logger.warn(`keyring reload after a key change failed: ${String(e)}`));
    await this.outbox.deliver().catch((e: unknown) => this.logger.warn(`key-change announcement deferred: ${String(e)}`));
  }
}
