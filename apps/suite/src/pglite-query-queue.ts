/**
 * The one queue every connection's wire-protocol messages go through on their way to one PGlite
 * database (PGlite has a single Postgres session).
 *
 * WHY not pglite-socket 0.2.17's own QueryQueueManager: it keeps a connection's messages together
 * only while `db.isInTransaction()`. An extended-protocol batch (Parse/Bind/Describe/Execute/Sync)
 * outside a transaction is not one, so two connections' batches interleave on the single session:
 * B's Parse replaces the unnamed statement between A's Parse and Bind ("bind message supplies 3
 * parameters, but prepared statement "" requires 1"), or, when the shapes match, A silently gets
 * B's rows. Its processQueue also returns from its catch without resetting `processing`, so one
 * throw deadlocks the queue for good. Upstream: electric-sql/pglite issue #1046 (PR #977).
 *
 * This queue pins the session to a connection from its first extended-protocol message until its
 * Sync (or a simple Query / Terminate) has run, and for as long as PGlite is in a transaction that
 * connection's message left open — the same affinity upstream keeps for transactions.
 */

/** The part of PGlite this queue uses (a fake in unit tests). */
export interface PgliteSession {
  isInTransaction(): boolean;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<unknown>;
}

/** A connection's queued messages were dropped because it went away. */
export class HandlerDisconnectedError extends Error {
  readonly code = 'PGLITE_HANDLER_DISCONNECTED';
  constructor(handlerId: number) {
    super(`connection #${handlerId} disconnected`);
    this.name = 'HandlerDisconnectedError';
  }
}

interface Entry {
  readonly handlerId: number;
  /** A wire message, or `release` for the internal clean-up after a pinned connection left. */
  readonly message: Uint8Array | 'release';
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: unknown) => void;
}

// Message types (first byte) that open or continue an extended-protocol batch: Parse, Bind,
// Describe, Execute, Close, Flush, FunctionCall. Until Sync the unnamed statement/portal and the
// error state ("ignore until Sync") belong to the connection that sent them.
const BATCH_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'F'].map((c) => c.charCodeAt(0)));

const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);
const ROLLBACK = simpleQuery('ROLLBACK');

function simpleQuery(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return new Uint8Array(msg);
}

export class PgliteQueryQueue {
  private queue: Entry[] = [];
  private processing = false;
  /** The connection the session belongs to until its batch or transaction ends. */
  private pinned: number | null = null;

  constructor(private readonly db: PgliteSession) {}

  /** Called by PGLiteSocketHandler per message; resolves with the bytes sent back. */
  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.processQueue();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  /** Called when a connection detaches: its waiting messages fail, nobody else's. */
  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((e) => {
      if (e.handlerId !== handlerId || e.message === 'release') return true;
      e.reject(new HandlerDisconnectedError(handlerId));
      return false;
    });
  }

  /**
   * Called when a connection detaches. If the session is pinned to it (mid-batch or mid-transaction)
   * a Sync ends its batch and a ROLLBACK its transaction (as upstream rolls back), then others run.
   * Queued as an entry of that connection so it never runs while one of its messages is running.
   */
  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.pinned !== handlerId) return Promise.resolve();
    return new Promise<number>((resolve, reject) => {
      this.queue.unshift({ handlerId, message: 'release', onData: () => undefined, resolve, reject });
      void this.processQueue();
    }).then(
      () => undefined,
      () => undefined,
    );
  }

  private next(): Entry | undefined {
    if (this.pinned === null) return this.queue.shift();
    const i = this.queue.findIndex((e) => e.handlerId === this.pinned);
    // The pinned connection has nothing queued yet: everyone else waits for its next message.
    return i === -1 ? undefined : this.queue.splice(i, 1)[0];
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let entry = this.next(); entry; entry = this.next()) {
        await this.run(entry);
      }
    } finally {
      // Never left set: a stuck flag would stall every connection (upstream's deadlock).
      this.processing = false;
    }
  }

  private async run(entry: Entry): Promise<void> {
    let bytes = 0;
    const onRawData = (data: Uint8Array): void => {
      bytes += data.length;
      entry.onData(data);
    };
    try {
      if (entry.message === 'release') {
        await this.db.runExclusive(async () => {
          await this.db.execProtocolRawStream(SYNC, { onRawData: () => undefined });
          if (this.db.isInTransaction()) await this.db.execProtocolRawStream(ROLLBACK, { onRawData: () => undefined });
        });
      } else {
        const message = entry.message;
        await this.db.runExclusive(() => this.db.execProtocolRawStream(message, { onRawData }));
      }
      entry.resolve(bytes);
    } catch (error) {
      // Only this message's promise fails; the loop goes on with the next one.
      entry.reject(error);
    } finally {
      this.pinned = this.pinAfter(entry);
    }
  }

  private pinAfter(entry: Entry): number | null {
    // The connection is gone: never stay pinned to it, even if the ROLLBACK failed.
    if (entry.message === 'release') return null;
    if (BATCH_MESSAGES.has(entry.message[0]!)) return entry.handlerId;
    // Sync, Query, Terminate, startup: the batch is over; a transaction it left open keeps the pin.
    return this.db.isInTransaction() ? entry.handlerId : null;
  }
}
