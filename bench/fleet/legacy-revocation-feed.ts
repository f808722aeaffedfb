// Today's feed interfaces, kept only to compare: a verbatim copy of libs/revocation/src/core/revocation-feed.ts
// as of commit 2dd8f71, so legacy-pubsub-scan-feed.ts keeps compiling unchanged whatever the
// library's feed interface becomes.
/** What a feed reports to health and metrics. */
export interface RevocationFeedStatus {
  readonly source: 'redis' | 'memory';
  /** Subscribed to the channel (memory: always). */
  readonly connected: boolean;
  /** Subscribed and re-synced since the last (re)connect. */
  readonly synced: boolean;
  /** Full re-syncs completed since start. */
  readonly syncs: number;
  readonly lastSyncAt?: string;
  readonly lastError?: string;
  /**
   * Present (true) while the feed waits for auth's generation marker before it may call its
   * re-sync complete: the blocklist lost its data or is being re-seeded. Absent otherwise.
   */
  readonly awaitingSeed?: true;
}

/** Hooks for metrics; every one optional. */
export interface RevocationFeedObserver {
  synced?(entries: number, durationMs: number): void;
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
}
