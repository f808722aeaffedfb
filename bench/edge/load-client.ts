/** The bench's side of the autocannon child: fork it once, run jobs one after another. */
import { type ChildProcess, fork } from 'node:child_process';
import { builtScript } from './bench-process.js';
import type { LoadJob, LoadMessage, LoadSummary } from './load-protocol.js';

export class LoadClient {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<LoadClient> {
    const child = fork(builtScript('./autocannon-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the autocannon child exited (${code}) before it was ready`)));
      child.once('message', (m: LoadMessage) => (m.type === 'ready' ? resolve() : reject(new Error(`unexpected ${m.type}`))));
    });
    child.removeAllListeners('exit');
    return new LoadClient(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Runs `job` to its end (its duration, or `stop()`). */
  run(job: LoadJob): Promise<LoadSummary> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`the autocannon child exited (${code}) during a run`));
      const onMessage = (m: LoadMessage): void => {
        if (m.type !== 'done' && m.type !== 'error') return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (m.type === 'done') resolve(m.summary);
        else reject(new Error(`autocannon: ${m.message}`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send({ type: 'run', job } satisfies LoadMessage);
    });
  }

  /** From the next request on, requests rotate over `tokens` (an empty set keeps the current one). */
  setTokens(tokens: readonly string[]): void {
    this.child.send({ type: 'tokens', tokens } satisfies LoadMessage);
  }

  /** Answers from now on are tallied under `name` (see LoadSummary.byKid). */
  setPhase(name: string): void {
    this.child.send({ type: 'phase', name } satisfies LoadMessage);
  }

  /** Ends the current run now (its `run()` resolves with what it measured). */
  stop(): void {
    this.child.send({ type: 'stop' } satisfies LoadMessage);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.send({ type: 'exit' } satisfies LoadMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
