import { randomUUID } from 'node:crypto';
import { MemoryMirrorFeed } from './memory-mirror-feed.js';
import { RevocationKeyspace } from './keyspace.js';
import { MemoryRevocationBackend, MemoryRevocationStore } from './memory-revocation-store.js';
import { RevocationMirror } from './revocation-mirror.js';

const claimsOf = (jti: string) => ({ jti, sub: 'nobody', iat: Math.floor(Date.now() / 1000) - 5 });
const inAMinute = () => new Date(Date.now() + 60_000);

describe('MemoryMirrorFeed (npm start: one process, one backend)', () => {
  let backend: MemoryRevocationBackend;
  let store: MemoryRevocationStore;
  let mirror: RevocationMirror;
  let feed: MemoryMirrorFeed;
  let awaiting: boolean[];

  beforeEach(() => {
    backend = new MemoryRevocationBackend();
    store = new MemoryRevocationStore(backend, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 300 });
    mirror = new RevocationMirror({ clockToleranceSeconds: 30 });
    awaiting = [];
    feed = new MemoryMirrorFeed(backend, mirror, { observer: { awaitingSeed: (w) => awaiting.push(w) } });
  });
  afterEach(() => feed.stop());

  it('is live at once when auth already seeded the backend, with what the backend holds', async () => {
    const jti = randomUUID();
    await store.revokeToken(jti, inAMinute());
    await store.markSeeded(Date.now(), await store.beginSeed());
    await feed.start();
    expect(feed.status()).toEqual({ source: 'memory', connected: true, synced: true, syncs: 1 });
    expect(mirror.lastFreshAtMs).toBe(Number.POSITIVE_INFINITY);
    expect(mirror.revocationOf(claimsOf(jti))).toBe('token');
    expect(awaiting).toEqual([]);
  });

  it('is not live before the marker, says why, keeps what it receives, and goes live on the resync announcement', async () => {
    const before = randomUUID();
    await store.revokeToken(before, inAMinute());
    let started = false;
    void feed.start().then(() => (started = true));
    await Promise.resolve();
    expect(started).toBe(false);
    expect(feed.status()).toEqual({ source: 'memory', connected: true, synced: false, syncs: 0, awaitingSeed: true });
    expect(mirror.stalenessMs()).toBe(Number.POSITIVE_INFINITY);
    expect(awaiting).toEqual([true]);
    const during = randomUUID();
    await store.revokeToken(during, inAMinute());
    expect(mirror.revocationOf(claimsOf(before))).toBe('token');
    expect(mirror.revocationOf(claimsOf(during))).toBe('token');

    await store.markSeeded(Date.now(), await store.beginSeed());
    await Promise.resolve();
    expect(started).toBe(true);
    expect(feed.status()).toEqual({ source: 'memory', connected: true, synced: true, syncs: 1 });
    expect(mirror.lastFreshAtMs).toBe(Number.POSITIVE_INFINITY);
    expect(awaiting).toEqual([true, false]);
  });

  it('is not live while a seed is under way (a claim is no marker), and goes live when it completes', async () => {
    const token = await store.beginSeed();
    let started = false;
    void feed.start().then(() => (started = true));
    await new Promise((r) => setTimeout(r, 120)); // past a few polls
    expect(started).toBe(false);
    expect(feed.status()).toMatchObject({ synced: false, awaitingSeed: true });
    await store.markSeeded(Date.now(), token);
    await Promise.resolve();
    expect(started).toBe(true);
  });

  it('also finds a marker written without an announcement (a test standing in for auth)', async () => {
    const done = feed.start();
    backend.set(new RevocationKeyspace().generationKey, Date.now(), Number.POSITIVE_INFINITY, Date.now());
    await done;
    expect(feed.status().synced).toBe(true);
  });
});
