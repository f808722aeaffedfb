import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@authmesh/testing';
import { Redis } from 'ioredis';

/** Every server the bench started and has not seen exit: killed by pid if the bench itself exits first (a crash, a timeout). */
const owned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of owned) child.kill('SIGKILL');
});

/** Async teardowns (servers started by other helpers, e.g. the Sentinel harness) run before the bench exits on a signal. */
export const teardowns = new Set<() => Promise<void>>();

/** Spawns a redis-server (or, with `--sentinel` in `args`, a sentinel) owned by this process. */
export function spawnRedis(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  // A spawn failure (binary missing) shows up as the server never answering, not as a crash.
  child.on('error', (e) => process.stderr.write(`redis-server ${args.join(' ')}: ${e.message}\n`));
  return child;
}

/**
 * A redis-server the bench owns: its own free port and temp dir, so scenario (a) can stop it with
 * `SHUTDOWN SAVE` and start it again on the same dir and port with its data (the RDB), and (c)
 * can stop it and start it empty. `OwnedRedis` in @authmesh/testing persists nothing, which is
 * what (c) needs but not (a). Automatic snapshots are off (`--save ''`): only the bench's
 * SHUTDOWN SAVE writes the RDB, so no background save adds CPU to a measurement.
 */
export class BenchRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<BenchRedis> {
    const server = new BenchRedis(await freePort(), mkdtempSync(join(tmpdir(), 'authmesh-fleet-')));
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on the same port and dir; it loads `dump.rdb` if one is there. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--dbfilename', 'dump.rdb'];
    this.child = spawnRedis([...args, '--save', '', '--appendonly', 'no', '--maxclients', '10000']);
  }

  /**
   * PING until Redis answers (a server loading its RDB answers LOADING, which is not an answer):
   * the moment the scenarios' clocks start. Returns `Date.now()` at the first PONG.
   */
  async answered(timeoutMs = 30_000): Promise<number> {
    return untilPong(this.port, timeoutMs);
  }

  /** SHUTDOWN SAVE (the RDB is written, then the process exits) or NOSAVE plus removing the RDB (restart empty). */
  async shutdown(save: boolean): Promise<void> {
    const admin = new Redis(this.port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const exited = this.exited();
    await admin.connect();
    // The server closes the connection instead of answering a successful SHUTDOWN.
    await admin.call('SHUTDOWN', save ? 'SAVE' : 'NOSAVE').catch(() => undefined);
    admin.disconnect();
    await exited;
    this.child = undefined;
    if (!save) rmSync(join(this.dir, 'dump.rdb'), { force: true });
  }

  async destroy(): Promise<void> {
    const exited = this.exited();
    this.child?.kill('SIGKILL');
    await exited;
    this.child = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private exited(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', () => resolve()));
  }
}

/** PING 127.0.0.1:`port` until it answers PONG; `Date.now()` at that answer. */
export async function untilPong(port: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // No ready check: ioredis's waits out a loading server's ETA (up to seconds) before the PING,
    // which would start the clock late; a bare PING answers LOADING until the data is in.
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      enableReadyCheck: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      connectTimeout: 500,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return Date.now();
    } catch {
      // refused, or LOADING: not back yet
    } finally {
      probe.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`Redis on port ${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
