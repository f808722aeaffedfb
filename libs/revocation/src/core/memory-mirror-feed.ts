import { RevocationKeyspace } from './keyspace.js';
import type { MemoryRevocationBackend } from './memory-revocation-store.js';
import {
  type RevocationFeed,
  type RevocationFeedListener,
  type RevocationFeedObserver,
  type RevocationFeedStatus,
  notifyListeners,
} from './revocation-feed.js';
import type { RevocationMirror } from './revocation-mirror.js';

/** How often the backend is checked for auth's marker while waiting for its seed (the `resync` event usually comes first). */
const SEED_POLL_MS = 100;

/**
 * Feeds a mirror from the process's in-memory backend (`REDIS_URL=memory://`): a snapshot, then
 * every write as it happens, synchronously. There is no connection to lose, so once complete the
 * mirror is live. Complete means auth seeded the backend from its ledger (the generation marker,
 * written at auth's start): a process that just started holds nothing until then, so until the
 * marker is there the mirror is not live and the feed reports `awaitingSeed`.
 */
export class MemoryMirrorFeed implements RevocationFeed {
  private unsubscribe: (() => void) | undefined;
  private readonly keyspace: RevocationKeyspace;
  private readonly now: () => number;
  private readonly observer: RevocationFeedObserver;
  private readonly listeners = new Set<RevocationFeedListener>();
  private live = false;
  private poll: NodeJS.Timeout | undefined;
  private resolveLive!: () => void;
  private readonly becameLive = new Promise<void>((resolve) => {
    this.resolveLive = resolve;
  });

  constructor(
    private readonly backend: MemoryRevocationBackend,
    private readonly mirror: RevocationMirror,
    options: { keyPrefix?: string; now?: () => number; observer?: RevocationFeedObserver } = {},
  ) {
    this.keyspace = new RevocationKeyspace(options.keyPrefix);
    this.now = options.now ?? Date.now;
    this.observer = options.observer ?? {};
  }

  start(): Promise<void> {
    // Subscribe first, then copy: a write in between is seen twice, which is harmless (idempotent).
    this.unsubscribe = this.backend.subscribe((event) => {
      this.observer.eventReceived?.();
      if (event.kind === 'resync') this.goLiveIfSeeded();
      else this.mirror.apply(event);
      notifyListeners(this.listeners, (l) => l.event(event));
    });
    if (!this.goLiveIfSeeded()) {
      // Entries written before the seed are merged now; the mirror keeps them whatever comes next.
      this.copy();
      this.observer.awaitingSeed?.(true);
      this.poll = setInterval(() => this.goLiveIfSeeded(), SEED_POLL_MS);
      this.poll.unref();
    }
    return this.becameLive;
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  listen(listener: RevocationFeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): RevocationFeedStatus {
    const subscribed = this.unsubscribe !== undefined;
    return {
      source: 'memory',
      connected: subscribed,
      synced: subscribed && this.live,
      syncs: this.live ? 1 : 0,
      ...(subscribed && !this.live ? { awaitingSeed: true as const } : {}),
    };
  }

  /** Once the backend holds the marker: a final copy (what the seed wrote) and live from then on. */
  private goLiveIfSeeded(): boolean {
    if (this.live) return true;
    if (this.unsubscribe === undefined || this.backend.get(this.keyspace.generationKey, this.now()) === undefined) return false;
    clearInterval(this.poll);
    const wasWaiting = this.poll !== undefined;
    this.poll = undefined;
    const entries = this.copy();
    // Events before now were copied as entries, not heard: listeners start from a clean slate.
    notifyListeners(this.listeners, (l) => l.reset?.());
    this.live = true;
    this.mirror.markLive();
    if (wasWaiting) this.observer.awaitingSeed?.(false);
    this.observer.synced?.(entries, 0);
    this.resolveLive();
    return true;
  }

  private copy(): number {
    let entries = 0;
    for (const [key, value] of this.backend.scan(this.now())) {
      const event = this.keyspace.eventOf(key, String(value));
      if (event) {
        this.mirror.apply(event);
        entries++;
      }
    }
    return entries;
  }
}
