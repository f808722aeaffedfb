import type { RevocationFeed, RevocationFeedListener, RevocationFeedStatus } from '@authmesh/revocation';
import { RevocationMirror } from '@authmesh/revocation';
import { CLIENT_CACHE_MAX_FEED_STALENESS_MS, ClientChangeSubscriber } from './client-change-subscriber.js';
import type { ClientsService } from './clients.service.js';

/** A stand-in for auth's revocation feed: a unit test of the cache's trust rule, no socket. */
class FakeFeed implements RevocationFeed {
  synced = false;
  readonly listeners = new Set<RevocationFeedListener>();
  start = async (): Promise<void> => undefined;
  stop = async (): Promise<void> => undefined;
  status = (): RevocationFeedStatus => ({ source: 'redis', connected: this.synced, synced: this.synced, syncs: 0 });
  listen(listener: RevocationFeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(fn: (l: RevocationFeedListener) => void): void {
    for (const l of this.listeners) fn(l);
  }
}

function subscriberWith(feed: FakeFeed) {
  let nowMs = 1_700_000_000_000;
  const mirror = new RevocationMirror({ clockToleranceSeconds: 30, now: () => nowMs });
  let cacheUsable: () => boolean = () => false;
  let forgotten = 0;
  const announced: [string, boolean][] = [];
  const clients = {
    useCacheWhile: (fn: () => boolean) => (cacheUsable = fn),
    forgetCachedClients: () => forgotten++,
    onAnnouncedChange: async (id: string, onlyIfCached = false) => void announced.push([id, onlyIfCached]),
  } as unknown as ClientsService;
  const subscriber = new ClientChangeSubscriber(clients, feed, mirror);
  return {
    subscriber,
    mirror,
    advance: (ms: number) => (nowMs += ms),
    now: () => nowMs,
    cacheUsable: () => cacheUsable(),
    forgotten: () => forgotten,
    announced,
  };
}

describe('ClientChangeSubscriber (on the revocation feed)', () => {
  it('trusts the client cache only while the feed is synced and fresh', () => {
    const feed = new FakeFeed();
    const s = subscriberWith(feed);
    expect(s.cacheUsable()).toBe(false); // never synced
    feed.synced = true;
    expect(s.cacheUsable()).toBe(false); // synced, but the mirror was never marked fresh
    s.mirror.markFresh(s.now());
    expect(s.cacheUsable()).toBe(true);
    feed.synced = false; // the connection closed
    expect(s.cacheUsable()).toBe(false);
  });

  it('stops trusting the cache when the feed stops proving itself fresh (a silently dropped socket)', () => {
    const feed = new FakeFeed();
    const s = subscriberWith(feed);
    feed.synced = true;
    s.mirror.markFresh(s.now());
    s.advance(CLIENT_CACHE_MAX_FEED_STALENESS_MS);
    expect(s.cacheUsable()).toBe(true);
    s.advance(1);
    expect(s.cacheUsable()).toBe(false);
  });

  it('drops every record when the feed reads the whole stream (events may have been lost), and one record per announcement', () => {
    const feed = new FakeFeed();
    const s = subscriberWith(feed);
    feed.emit((l) => l.reset?.());
    expect(s.forgotten()).toBe(1);
    feed.emit((l) => l.event({ kind: 'client', clientId: 'orders', changedAtMs: 1 }));
    feed.emit((l) => l.event({ kind: 'sub', sub: 'orders', revokedAtMs: 2 }));
    feed.emit((l) => l.event({ kind: 'jti', jti: 'x', expiresAtMs: 3 }));
    expect(s.announced).toEqual([
      ['orders', false],
      ['orders', true],
    ]);
    s.subscriber.onApplicationShutdown();
    expect(feed.listeners.size).toBe(0);
  });
});
