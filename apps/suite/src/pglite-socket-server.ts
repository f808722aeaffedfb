import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { createServer, type Server, type Socket } from 'node:net';
import { PgliteQueryQueue } from './pglite-query-queue.js';

/**
 * Serves one PGlite database over the Postgres wire protocol: one PGLiteSocketHandler per
 * connection, all over one PgliteQueryQueue. Replaces pglite-socket's PGLiteSocketServer, whose
 * queue interleaves connections' extended-protocol batches (electric-sql/pglite issue #1046; see
 * pglite-query-queue.ts).
 *
 * Beyond `maxConnections` a connection is refused with a FATAL 53300 too_many_connections, as
 * Postgres does (upstream writes a bare text line instead); the pool's own max stays below it.
 */
export class PgliteSocketServer {
  private readonly queue: PgliteQueryQueue;
  private readonly handlers = new Set<PGLiteSocketHandler>();
  private server: Server | null = null;
  private port = 0;

  constructor(
    private readonly db: PGlite,
    private readonly host: string,
    private readonly maxConnections: number,
  ) {
    this.queue = new PgliteQueryQueue(db);
  }

  async start(): Promise<void> {
    await this.db.waitReady;
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('expected a TCP address');
    this.port = address.port;
  }

  /** host:port a pg client connects to. */
  get conn(): string {
    return `${this.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await Promise.all([...this.handlers].map((h) => h.detach(true)));
    this.handlers.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (!this.server || this.handlers.size >= this.maxConnections) {
      socket.end(tooManyConnections());
      return;
    }
    const handler = new PGLiteSocketHandler({
      // The handler is typed against upstream's (unexported) QueryQueueManager class; ours has the
      // four methods it calls: enqueue, clearQueueForHandler, clearTransactionIfNeeded, getQueueLength.
      queryQueue: this.queue as unknown as PGLiteSocketHandlerOptions['queryQueue'],
      closeOnDetach: true,
    });
    this.handlers.add(handler);
    const forget = (): void => void this.handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  }
}

/** ErrorResponse FATAL 53300 (too_many_connections). */
function tooManyConnections(): Buffer {
  const fields = Buffer.from('SFATAL\0C53300\0Msorry, too many clients already\0\0', 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}
