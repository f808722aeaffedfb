import { DpopProofReplayedError } from './dpop/errors.js';
import { DpopReplayGuard, type SharedReplayStore } from './dpop-replay.js';

/** A shared store as every replica sees it (what Redis SET NX PX does), with a switch to fail. */
class FakeSharedStore implements SharedReplayStore {
  readonly keys = new Map<string, number>();
  down = false;
  constructor(private readonly now: () => number) {}
  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.down) throw new Error('ECONNREFUSED');
    const until = this.keys.get(key);
    if (until !== undefined && until > this.now()) return false;
    this.keys.set(key, this.now() + ttlMs);
    return true;
  }
}

describe('DpopReplayGuard', () => {
  let nowMs = 1_800_000_000_000;
  const now = () => nowMs;

  it('refuses a jti seen by this process within its window, without asking the shared store', async () => {
    const shared = new FakeSharedStore(now);
    const guard = new DpopReplayGuard({ shared, now });
    await guard.check('jkt-a', 'jti-1', 60_000);
    shared.down = true; // the second use never gets that far
    await expect(guard.check('jkt-a', 'jti-1', 60_000)).rejects.toBeInstanceOf(DpopProofReplayedError);
  });

  it('refuses a jti another replica saw (the shared store), and remembers it locally', async () => {
    const shared = new FakeSharedStore(now);
    const replicaA = new DpopReplayGuard({ shared, now });
    const replicaB = new DpopReplayGuard({ shared, now });
    await replicaA.check('jkt-a', 'jti-2', 60_000);
    await expect(replicaB.check('jkt-a', 'jti-2', 60_000)).rejects.toMatchObject({ code: 'dpop_proof_replayed' });
  });

  it('keys by the proof key too: the same jti under another key is another proof', async () => {
    const guard = new DpopReplayGuard({ now });
    await guard.check('jkt-a', 'jti-3', 60_000);
    await expect(guard.check('jkt-b', 'jti-3', 60_000)).resolves.toBeUndefined();
  });

  it('forgets a jti once its window is over', async () => {
    const guard = new DpopReplayGuard({ now });
    await guard.check('jkt-a', 'jti-4', 10_000);
    nowMs += 10_001;
    await expect(guard.check('jkt-a', 'jti-4', 10_000)).resolves.toBeUndefined();
  });

  it('fails closed by default while the shared store is down: its error propagates', async () => {
    const shared = new FakeSharedStore(now);
    shared.down = true;
    const guard = new DpopReplayGuard({ shared, now });
    await expect(guard.check('jkt-a', 'jti-5', 60_000)).rejects.toThrow('ECONNREFUSED');
  });

  it('under the local policy, accepts on the local cache while the shared store is down, and still refuses a local replay', async () => {
    const shared = new FakeSharedStore(now);
    shared.down = true;
    const failures: unknown[] = [];
    const guard = new DpopReplayGuard({ shared, now, outagePolicy: 'local', onSharedFailure: (e) => failures.push(e) });
    await guard.check('jkt-a', 'jti-6', 60_000);
    expect(failures).toHaveLength(1);
    await expect(guard.check('jkt-a', 'jti-6', 60_000)).rejects.toBeInstanceOf(DpopProofReplayedError);
  });

  it('bounds the local cache', async () => {
    const guard = new DpopReplayGuard({ now, maxEntries: 3 });
    for (let i = 0; i < 10; i++) await guard.check('jkt-a', `jti-bound-${i}`, 60_000);
    expect(guard.size).toBe(3);
  });
});
