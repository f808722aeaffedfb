/**
 * One server of a benchmark as its own OS process (a built entry point under `dist/`), so the
 * services under test, the peers and the load generator never share an event loop or a heap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killGroup } from '../../tools/topology/service-process.js';

/** `runApp`'s "orders ready on <url> (metrics and health on <url>)", and the peers' "<name> ready on <url>". */
const READY_LINE = /\bready on (http:\/\/\S+)(?: \(metrics and health on (http:\/\/\S+)\))?/;

/** A built script next to this one, or under `dist/`: `builtScript('../../apps/orders/src/main.js')`. */
export function builtScript(relativeToThisFile: string): string {
  return fileURLToPath(new URL(relativeToThisFile, import.meta.url));
}

export class BenchProcess {
  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    readonly url: string,
    /** The management listener (`/metrics`), for the apps; undefined for the peers. */
    readonly managementUrl: string | undefined,
    private readonly printed: () => string,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resident set size now, from `/proc/<pid>/status` (VmRSS), in bytes. */
  rssBytes(): number {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!m) throw new Error(`${this.label}: no VmRSS in /proc/${this.pid}/status`);
    return Number(m[1]) * 1024;
  }

  output(): string {
    return this.printed();
  }

  /**
   * Spawns `node <script>` with `env` (plus PATH) in a process group of its own and resolves once
   * it printed its ready line. Rejects with what it printed if it exits first or takes too long.
   */
  static async start(label: string, script: string, env: Record<string, string>, readyTimeoutMs = 60_000): Promise<BenchProcess> {
    if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
    const child = spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const ready = new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} was not ready within ${readyTimeoutMs} ms:\n${out}`)), readyTimeoutMs);
      let found = false;
      const onData = (d: Buffer): void => {
        // Bounded: a peer that logs every request must not grow the bench's heap.
        out = out.length > 200_000 ? `${out.slice(-100_000)}${d.toString()}` : `${out}${d.toString()}`;
        const m = READY_LINE.exec(out);
        if (m && !found) {
          found = true;
          clearTimeout(timer);
          resolve(m);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!found) reject(new Error(`${label} exited (${signal ?? code}) before it was ready:\n${out}`));
      });
    });
    try {
      const m = await ready;
      const started = new BenchProcess(label, child, m[1]!, m[2], () => out);
      await started.waitReady();
      return started;
    } catch (e) {
      killGroup(child, 'SIGKILL');
      throw e;
    }
  }

  /**
   * For an app: polls its management `/health/ready` until 200 (the JWKS fetched, the revocation
   * mirror in sync), so the first measured request is not a 503 of a service still starting.
   */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    if (!this.managementUrl) return;
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${this.managementUrl}/health/ready`);
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.label} was not ready within ${timeoutMs} ms: ${last}`);
  }

  /** SIGTERM to its group, SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      killGroup(this.child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }
}
