import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The four deployables the topology runs (authctl is a CLI, not a service). */
export type ServiceName = 'auth' | 'orders' | 'profiles' | 'gateway';

/** The built entry point of one service: what `npm run start:<service>` and the image run. */
export function serviceMain(name: ServiceName): string {
  return resolve('dist', 'apps', name, 'src', 'main.js');
}

/** What `runApp` prints once the service listens (libs/platform/src/bootstrap/start-app.ts). */
const READY_LINE = /^(\w+) ready on (\S+) \(metrics and health on (\S+)\)$/;

/** One service replica running as its own OS process, in its own process group. */
export class ServiceProcess {
  private constructor(
    /** `auth-1`, `gateway-2`: the prefix of every line it prints. */
    readonly label: string,
    readonly child: ChildProcess,
    readonly url: string,
    readonly managementUrl: string,
    private readonly printed: () => string,
  ) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Everything the process printed so far (its own prefix-free lines). */
  output(): string {
    return this.printed();
  }

  /**
   * Spawns `node dist/apps/<name>/src/main.js` with exactly `env` and resolves once it printed its
   * ready line (its URLs are read from it: replicas listen on PORT=0). Every line it prints goes to
   * `log` prefixed with `label`. Rejects, with what it printed, if it exits or is not ready in time.
   */
  static async start(
    name: ServiceName,
    label: string,
    env: Record<string, string | undefined>,
    log: (line: string) => void,
    readyTimeoutMs = 60_000,
  ): Promise<ServiceProcess> {
    const main = serviceMain(name);
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    // detached: the replica leads a process group of its own, so stopping it (or a Ctrl-C that
    // the topology turns into SIGTERMs) reaches anything it might spawn, and nothing else.
    const child = spawn(process.execPath, [main], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let ready: { url: string; managementUrl: string } | undefined;
    const started = new Promise<{ url: string; managementUrl: string }>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label} was not ready within ${readyTimeoutMs} ms:\n${out}`)), readyTimeoutMs);
      const onLine = (line: string): void => {
        // Kept for failure messages; bounded, since `npm run start:topology` runs for hours.
        out = out.length > 1_000_000 ? `${out.slice(-500_000)}${line}\n` : `${out}${line}\n`;
        log(`${label} | ${line}`);
        const m = READY_LINE.exec(line);
        if (m && !ready) {
          ready = { url: m[2]!, managementUrl: m[3]! };
          clearTimeout(timer);
          resolveReady(ready);
        }
      };
      for (const stream of [child.stdout, child.stderr]) {
        let partial = '';
        stream?.on('data', (d: Buffer) => {
          partial += d.toString();
          const lines = partial.split('\n');
          partial = lines.pop()!;
          for (const l of lines) onLine(l);
        });
      }
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${label} exited (${signal ?? code}) before it was ready:\n${out}`));
      });
    });
    try {
      const urls = await started;
      return new ServiceProcess(label, child, urls.url, urls.managementUrl, () => out);
    } catch (e) {
      killGroup(child, 'SIGKILL');
      throw e;
    }
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM to its process group (the app closes its listeners, pools and Redis), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.running) {
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

/** `signal` to the child's whole process group; a group already gone is fine. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
