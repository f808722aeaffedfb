import type { RevocationEvent } from '../revocation-store.js';

/** What a feed reports to health and metrics. */
export interface RevocationFeedStatus {
  readonly source: 'redis' | 'memory';
  /** Connected to the source (memory: always). */
  readonly connected: boolean;
  /** Connected and caught up since the last (re)connect. */
  readonly synced: boolean;
  /** Times the feed caught up after a (re)connect or a re-read, since start. */
  readonly syncs: number;
  readonly lastSyncAt?: string;
  readonly lastError?: string;
  /**
   * Present (true) while the feed waits for auth's generation marker before it may call its
   * read complete: the blocklist lost its data or is being re-seeded. Absent otherwise.
   */
  readonly awaitingSeed?: true;
  /** Redis: the last stream id applied (where a reconnect resumes). */
  readonly position?: string;
  /** Redis: the generation marker the mirror is synced against. */
  readonly generation?: number;
  /** Redis: reads of the whole stream (first sync, a new generation, a regressed Redis) since start. */
  readonly fullReads?: number;
  /** Redis: reconnects that found the stream behind the mirror's position (Redis lost events) since start. */
  readonly regressions?: number;
}

/**
 * A consumer of every event the feed reads (announcements too, which the mirror ignores), e.g.
 * auth's client-record cache.
 */
export interface RevocationFeedListener {
  /** Each event, in stream order. */
  event(event: RevocationEvent): void;
  /**
   * Events may have been missed before this point (the first sync, a re-read of the whole stream
   * after lost data or a re-seed): whatever was derived from earlier events should be dropped.
   */
  reset?(): void;
}

/** Hooks for metrics; every one optional. */
export interface RevocationFeedObserver {
  /** The feed caught up: `entries` read since the (re)connect or re-read began. */
  synced?(entries: number, durationMs: number): void;
  /** How it caught up: `resume` from its last position (a reconnect that missed little), or a `full` read of the stream. */
  caughtUp?(mode: 'resume' | 'full', entries: number): void;
  /** A reconnect found the stream behind the mirror's position: Redis lost events (read in full). */
  regression?(): void;
  syncFailed?(): void;
  eventReceived?(): void;
  /** The feed started (true) or stopped (false) waiting for auth's seed of the blocklist. */
  awaitingSeed?(waiting: boolean): void;
}

/** Log sink (the Nest layer passes a Nest Logger). */
export interface RevocationLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: RevocationLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Keeps a RevocationMirror up to date. */
export interface RevocationFeed {
  /**
   * Starts feeding. Resolves once the mirror is first in sync; never rejects (while the source is
   * unreachable it keeps retrying and the promise stays pending, so callers race it with a timeout).
   */
  start(): Promise<void>;
  /** Stops feeding and releases every connection and timer. */
  stop(): Promise<void>;
  status(): RevocationFeedStatus;
  /** Adds a listener of every event read; returns its removal. */
  listen(listener: RevocationFeedListener): () => void;
}

/** Calls every listener, never letting one's failure stop the feed or the others. */
export function notifyListeners(listeners: Iterable<RevocationFeedListener>, call: (l: RevocationFeedListener) => void): void {
  for (const listener of listeners) {
    try {
      call(listener);
    } catch {
      // A listener's bug must not stop revocations reaching the mirror.
    }
  }
}
