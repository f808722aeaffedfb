import { type ChildProcess, fork } from 'node:child_process';
import type { FromWorker, RedisTarget, ToWorker } from './fleet-worker.js';
import type { Design } from './seed.js';

const WORKER = new URL('./fleet-worker.js', import.meta.url);

/** N verifier feeds spread over `workers` child processes (fleet-worker.ts), driven over IPC. */
export class Fleet {
  private constructor(private readonly workers: ChildProcess[]) {}

  /** Forks the workers, starts every feed and resolves once each one is first in sync (its start() resolved). */
  static async start(
    design: Design,
    target: RedisTarget,
    n: number,
    workers: number,
    timeoutMs: number,
  ): Promise<{ fleet: Fleet; ms: number }> {
    const count = Math.min(workers, n);
    const children = Array.from({ length: count }, () => fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const fleet = new Fleet(children);
    const started = Date.now();
    try {
      let offset = 0;
      await Promise.all(
        children.map((child, i) => {
          const share = Math.floor(n / count) + (i < n % count ? 1 : 0);
          const ready = fleet.next(child, 'ready', timeoutMs);
          fleet.post(child, { t: 'init', design, target, count: share, offset });
          offset += share;
          return ready;
        }),
      );
    } catch (e) {
      await fleet.stop();
      throw e;
    }
    return { fleet, ms: Date.now() - started };
  }

  /**
   * Arms every worker to report when all its feeds are synced and fresh as of a moment after
   * `sinceMs`; resolves with `Date.now()` per feed at that moment and the events their mirrors applied.
   */
  watch(sinceMs: number, timeoutMs: number): Promise<{ at: number[]; applied: number }> {
    const caught = this.workers.map((child) => this.next(child, 'caught', timeoutMs));
    for (const child of this.workers) this.post(child, { t: 'watch', sinceMs });
    return Promise.all(caught).then((replies) => ({
      at: replies.flatMap((r) => r.at),
      applied: replies.reduce((sum, r) => sum + r.applied, 0),
    }));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        const stopped = this.next(child, 'stopped', 10_000).catch(() => undefined);
        this.post(child, { t: 'stop' });
        await stopped;
        // A worker whose feeds did not let go within 10 s is ended by its pid (we forked it).
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private post(child: ChildProcess, message: ToWorker): void {
    child.send(message);
  }

  private next<K extends FromWorker['t']>(child: ChildProcess, kind: K, timeoutMs: number): Promise<Extract<FromWorker, { t: K }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`fleet worker ${child.pid}: no '${kind}' within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: FromWorker): void => {
        if (message.t === 'failed') done(new Error(`fleet worker ${child.pid} failed: ${message.error}`));
        else if (message.t === kind) done(undefined, message as Extract<FromWorker, { t: K }>);
      };
      const onExit = (code: number | null): void => done(new Error(`fleet worker ${child.pid} exited (${code}) before '${kind}'`));
      const done = (error: Error | undefined, message?: Extract<FromWorker, { t: K }>): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message!);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }
}
