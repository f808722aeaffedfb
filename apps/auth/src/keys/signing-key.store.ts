import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import type { RevocationEvent } from '@authmesh/revocation';
import { RevocationOutbox } from '../revocation/revocation-outbox.service.js';
import { SigningKeyEventEntity } from './signing-key-event.entity.js';
import { SigningKeyEntity, type SigningKeyState } from './signing-key.entity.js';

/** States whose public key verifiers may need (docs/architecture.md, "Signing keys and rotation": pending, active, retiring). */
export const PUBLISHED_STATES = ['pending', 'active', 'retiring'] as const;
// Arbitrary but fixed: serialises every key-state change across auth instances sharing one database.
export const KEYRING_LOCK_ID = 0x61757468;

/** One audit row of `signing_key_events` (its id is the table's). */
export type SigningKeyEvent = Omit<SigningKeyEventEntity, 'id'>;

/** What a key-state change reads and writes, inside one transaction that holds the keyring lock. */
export interface SigningKeyTransaction {
  /** The one key in `state` (there is at most one pending and one active key). */
  findInState(state: SigningKeyState): Promise<SigningKeyEntity | null>;
  findAllInState(state: SigningKeyState): Promise<SigningKeyEntity[]>;
  findByKid(kid: string): Promise<SigningKeyEntity | null>;
  existsInState(state: SigningKeyState): Promise<boolean>;
  insert(key: SigningKeyEntity): Promise<void>;
  update(kid: string, changes: Partial<SigningKeyEntity>): Promise<void>;
  audit(event: SigningKeyEvent): Promise<void>;
  /** Records the change's announcement in the revocation outbox, in this transaction (never lost). */
  announce(events: RevocationEvent[]): Promise<void>;
}

/**
 * Where signing keys and their audit trail live. The keyring and the lifecycle see only this, so
 * the key state machine can be run against an in-memory store in unit tests; the application's
 * is TypeOrmSigningKeyStore (Postgres, advisory lock KEYRING_LOCK_ID).
 */
export abstract class SigningKeyStore {
  /** Every key, newest first. */
  abstract list(): Promise<SigningKeyEntity[]>;
  /** The audit trail, newest first (at most `limit`), of one key or all. */
  abstract events(kid: string | undefined, limit: number): Promise<SigningKeyEventEntity[]>;
  /** The keys verifiers may meet (PUBLISHED_STATES), oldest first. */
  abstract published(): Promise<SigningKeyEntity[]>;
  /** Runs `work` in one transaction holding the keyring lock, waiting for the lock. */
  abstract locked<T>(work: (tx: SigningKeyTransaction) => Promise<T>): Promise<T>;
  /** Like `locked`, but gives up at once (resolves `skipped`) when another instance holds the lock. */
  abstract tryLocked<T, S>(work: (tx: SigningKeyTransaction) => Promise<T>, skipped: S): Promise<T | S>;
}

@Injectable()
export class TypeOrmSigningKeyStore extends SigningKeyStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: RevocationOutbox,
  ) {
    super();
  }

  list(): Promise<SigningKeyEntity[]> {
    return this.db.getRepository(SigningKeyEntity).find({ order: { createdAt: 'DESC' } });
  }

  events(kid: string | undefined, limit: number): Promise<SigningKeyEventEntity[]> {
    return this.db.getRepository(SigningKeyEventEntity).find({ where: kid ? { kid } : {}, order: { at: 'DESC', id: 'DESC' }, take: limit });
  }

  published(): Promise<SigningKeyEntity[]> {
    return this.db.getRepository(SigningKeyEntity).find({ where: { state: In([...PUBLISHED_STATES]) }, order: { createdAt: 'ASC' } });
  }

  locked<T>(work: (tx: SigningKeyTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [KEYRING_LOCK_ID]);
      return work(this.transaction(tx));
    });
  }

  tryLocked<T, S>(work: (tx: SigningKeyTransaction) => Promise<T>, skipped: S): Promise<T | S> {
    return this.db.transaction(async (tx) => {
      const [{ locked }] = (await tx.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [KEYRING_LOCK_ID])) as { locked: boolean }[];
      if (!locked) return skipped;
      return work(this.transaction(tx));
    });
  }

  private transaction(tx: EntityManager): SigningKeyTransaction {
    return {
      findInState: (state) => tx.findOne(SigningKeyEntity, { where: { state } }),
      findAllInState: (state) => tx.find(SigningKeyEntity, { where: { state } }),
      findByKid: (kid) => tx.findOne(SigningKeyEntity, { where: { kid } }),
      existsInState: (state) => tx.exists(SigningKeyEntity, { where: { state } }),
      insert: async (key) => {
        await tx.insert(SigningKeyEntity, key);
      },
      update: async (kid, changes) => {
        await tx.update(SigningKeyEntity, { kid }, changes);
      },
      audit: async (event) => {
        await tx.insert(SigningKeyEventEntity, event);
      },
      announce: (events) => this.outbox.record(tx, events),
    };
  }
}
