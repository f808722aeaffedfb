import type { RevocationEvent } from '@authmesh/revocation';
import { SigningKeyEventEntity } from './signing-key-event.entity.js';
import { SigningKeyEntity, type SigningKeyState } from './signing-key.entity.js';
import { PUBLISHED_STATES, type SigningKeyEvent, SigningKeyStore, type SigningKeyTransaction } from './signing-key.store.js';

interface Snapshot {
  keys: Map<string, SigningKeyEntity>;
  events: SigningKeyEventEntity[];
  announced: RevocationEvent[];
}

/**
 * A SigningKeyStore in memory, for the keyring and key-lifecycle unit tests: rows are copied in
 * and out as a database would (a caller's object is not the stored row), a transaction works on
 * a copy and is committed only if its work resolves, and the lock is one in-process mutex (which
 * a test can hold, as another auth instance would).
 */
export class InMemorySigningKeyStore extends SigningKeyStore {
  private state: Snapshot = { keys: new Map(), events: [], announced: [] };
  private lock: Promise<void> = Promise.resolve();
  private held = false;
  private nextEventId = 1;

  /** Every row, as stored (copies). */
  keys(): SigningKeyEntity[] {
    return [...this.state.keys.values()].map(copy);
  }

  key(kid: string): SigningKeyEntity | undefined {
    const row = this.state.keys.get(kid);
    return row && copy(row);
  }

  /** The audit trail, oldest first. */
  auditTrail(): SigningKeyEventEntity[] {
    return this.state.events.map((e) => ({ ...e }));
  }

  /** Announcements committed to the outbox, oldest first. */
  announcements(): RevocationEvent[] {
    return [...this.state.announced];
  }

  /** Writes a row directly (a test's starting state, or another instance's committed change). */
  put(key: SigningKeyEntity): void {
    this.state.keys.set(key.kid, copy(key));
  }

  /** Takes the lock as another instance would; call the result to release it. */
  async holdLock(): Promise<() => void> {
    let release!: () => void;
    await this.acquire((r) => (release = r));
    return release;
  }

  list(): Promise<SigningKeyEntity[]> {
    return Promise.resolve(this.keys().sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()));
  }

  events(kid: string | undefined, limit: number): Promise<SigningKeyEventEntity[]> {
    const rows = this.auditTrail().filter((e) => kid === undefined || e.kid === kid);
    rows.sort((a, b) => b.at.getTime() - a.at.getTime() || Number(b.id) - Number(a.id));
    return Promise.resolve(rows.slice(0, limit));
  }

  published(): Promise<SigningKeyEntity[]> {
    const states: readonly SigningKeyState[] = PUBLISHED_STATES;
    const rows = this.keys().filter((k) => states.includes(k.state));
    return Promise.resolve(rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime()));
  }

  async locked<T>(work: (tx: SigningKeyTransaction) => Promise<T>): Promise<T> {
    let release!: () => void;
    await this.acquire((r) => (release = r));
    try {
      return await this.run(work);
    } finally {
      release();
    }
  }

  async tryLocked<T, S>(work: (tx: SigningKeyTransaction) => Promise<T>, skipped: S): Promise<T | S> {
    if (this.held) return skipped;
    return this.locked(work);
  }

  private async acquire(onAcquired: (release: () => void) => void): Promise<void> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.held = true;
    onAcquired(() => {
      this.held = false;
      release();
    });
  }

  private async run<T>(work: (tx: SigningKeyTransaction) => Promise<T>): Promise<T> {
    const draft: Snapshot = {
      keys: new Map([...this.state.keys].map(([kid, row]) => [kid, copy(row)])),
      events: [...this.state.events],
      announced: [...this.state.announced],
    };
    const inState = (state: SigningKeyState): SigningKeyEntity[] => [...draft.keys.values()].filter((k) => k.state === state);
    const tx: SigningKeyTransaction = {
      findInState: (state) => Promise.resolve(inState(state).map(copy)[0] ?? null),
      findAllInState: (state) => Promise.resolve(inState(state).map(copy)),
      findByKid: (kid) => Promise.resolve(draft.keys.has(kid) ? copy(draft.keys.get(kid)!) : null),
      existsInState: (state) => Promise.resolve(inState(state).length > 0),
      insert: (key) => {
        if (draft.keys.has(key.kid)) return Promise.reject(new Error(`duplicate kid ${key.kid}`));
        draft.keys.set(key.kid, copy(key));
        return Promise.resolve();
      },
      update: (kid, changes) => {
        const row = draft.keys.get(kid);
        if (row) Object.assign(row, changes);
        return Promise.resolve();
      },
      audit: (event: SigningKeyEvent) => {
        draft.events.push(Object.assign(new SigningKeyEventEntity(), event, { id: String(this.nextEventId++) }));
        return Promise.resolve();
      },
      announce: (events) => {
        draft.announced.push(...events);
        return Promise.resolve();
      },
    };
    const result = await work(tx);
    this.state = draft;
    return result;
  }
}

function copy(row: SigningKeyEntity): SigningKeyEntity {
  return Object.assign(new SigningKeyEntity(), row);
}
