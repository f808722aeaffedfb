import { PgliteQueryQueue, type PgliteSession } from './pglite-query-queue.js';

/** A fake PGlite session: records which connection's message ran, in order. */
function fakeSession(opts: { failOn?: string } = {}) {
  const ran: string[] = [];
  let inTx = false;
  const session: PgliteSession = {
    isInTransaction: () => inTx,
    runExclusive: (fn) => fn(),
    async execProtocolRawStream(message, { onRawData }) {
      await new Promise((r) => setImmediate(r));
      const text = Buffer.from(message).toString('latin1');
      ran.push(text);
      if (text.includes('BEGIN')) inTx = true;
      if (text.includes('ROLLBACK') || text.includes('COMMIT')) inTx = false;
      if (opts.failOn && text.includes(opts.failOn)) throw new Error('boom');
      onRawData(Uint8Array.from([1]));
      return undefined;
    },
  };
  return { session, ran };
}

const msg = (type: string, tag: string) => new Uint8Array(Buffer.from(type + tag, 'latin1'));

/** Sends one connection's messages one after another, as PGLiteSocketHandler does. */
async function connection(queue: PgliteQueryQueue, id: number, types: string[]) {
  for (const t of types) await queue.enqueue(id, msg(t, `${id}${t}`), () => undefined);
}

describe('PgliteQueryQueue', () => {
  it('keeps each connection’s Parse..Sync batch together', async () => {
    const { session, ran } = fakeSession();
    const queue = new PgliteQueryQueue(session);
    await Promise.all([1, 2, 3].map((id) => connection(queue, id, ['P', 'B', 'D', 'E', 'S'])));
    const owners = ran.map((m) => m[1]);
    for (let i = 0; i < owners.length; i += 5) expect(new Set(owners.slice(i, i + 5)).size).toBe(1);
    expect(ran).toHaveLength(15);
  });

  it('pins the session until Sync, then lets the next connection in', async () => {
    const { session, ran } = fakeSession();
    const queue = new PgliteQueryQueue(session);
    await queue.enqueue(1, msg('P', '1P'), () => undefined);
    const other = queue.enqueue(2, msg('Q', '2Q'), () => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['P1P']);
    await queue.enqueue(1, msg('S', '1S'), () => undefined);
    await other;
    expect(ran).toEqual(['P1P', 'S1S', 'Q2Q']);
  });

  it('releases the pin when the pinned connection disconnects mid-transaction, rolling back', async () => {
    const { session, ran } = fakeSession();
    const queue = new PgliteQueryQueue(session);
    await queue.enqueue(1, msg('Q', 'BEGIN'), () => undefined);
    const other = queue.enqueue(2, msg('Q', '2Q'), () => undefined);
    const waiting = queue.enqueue(1, msg('P', 'never'), () => undefined);
    queue.clearQueueForHandler(1);
    await expect(waiting).rejects.toMatchObject({ code: 'PGLITE_HANDLER_DISCONNECTED' });
    await queue.clearTransactionIfNeeded(1);
    await other;
    expect(ran.slice(-3)).toEqual([expect.stringMatching(/^S/), expect.stringContaining('ROLLBACK'), 'Q2Q']);
    expect(session.isInTransaction()).toBe(false);
  });

  it('does not deadlock after a message throws; only that message fails', async () => {
    const { session, ran } = fakeSession({ failOn: 'bad' });
    const queue = new PgliteQueryQueue(session);
    await expect(queue.enqueue(1, msg('Q', 'bad'), () => undefined)).rejects.toThrow('boom');
    await expect(queue.enqueue(2, msg('Q', 'ok'), () => undefined)).resolves.toBe(1);
    expect(ran).toEqual(['Qbad', 'Qok']);
    expect(queue.getQueueLength()).toBe(0);
  });
});
