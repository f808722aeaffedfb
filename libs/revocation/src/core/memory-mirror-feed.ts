import { RevocationKeyspace } from './keyspace.js';
import type { MemoryRevocationBackend } from './memory-revocation-store.js';
import type { RevocationFeed, RevocationFeedObserver, RevocationFeedStatus } from './revocation-feed.js';
import type { RevocationMirror } from './revocation-mirror.js';

/**
 * Feeds a mirror from the process's in-memory backend (`REDIS_URL=memory://`): a snapshot, then
 * every write as it happens, synchronously. There is no connection to lose, so the mirror is live.
 */
export class MemoryMirrorFeed implements RevocationFeed {
  private unsubscribe: (() => void) | undefined;
  private readonly keyspace: RevocationKeyspace;
  private readonly now: () => number;
  private readonly observer: RevocationFeedObserver;

  constructor(
    private readonly backend: MemoryRevocationBackend,
    private readonly mirror: RevocationMirror,
    options: { keyPrefix?: string; now?: () => number; observer?: RevocationFeedObserver } = {},
  ) {
    this.keyspace = new RevocationKeyspace(options.keyPrefix);
    this.now = options.now ?? Date.now;
    this.observer = options.observer ?? {};
  }

  async start(): Promise<void> {
    // Subscribe first, then copy: a write in between is seen twice, which is harmless (idempotent).
    this.unsubscribe = this.backend.subscribe((event) => {
      this.observer.eventReceived?.();
      this.mirror.apply(event);
    });
    let entries = 0;
    for (const [key, value] of this.backend.scan(this.now())) {
      const event = this.keyspace.eventOf(key, String(value));
      if (event) {
        this.mirror.apply(event);
        entries++;
      }
    }
    this.mirror.markLive();
    this.observer.synced?.(entries, 0);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  status(): RevocationFeedStatus {
    const live = this.unsubscribe !== undefined;
    return { source: 'memory', connected: live, synced: live, syncs: live ? 1 : 0 };
  }
}
