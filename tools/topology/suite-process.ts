import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { killGroup } from './service-process.js';

/** The built `npm start` (without its build step). */
export const SUITE_MAIN = 'dist/apps/suite/src/main.js';

export interface SuitePorts {
  gateway: number;
  auth: number;
  orders: number;
  profiles: number;
}

export interface SuiteProcess {
  child: ChildProcess;
  ports: SuitePorts;
  output: () => string;
}

export const localUrl = (port: number): string => `http://127.0.0.1:${port}`;

/**
 * Starts the built suite in its own process group, with the embedded defaults a fresh clone gets
 * (no DATABASE_URL or REDIS_URL: PGlite in `dataDir`, the in-memory Redis stand-in), on `ports`,
 * and resolves once every service is ready. Shared by the e2e tests (on free ports, never
 * 3000–3003, which a developer's `npm start` may hold) and `npm run demo` (which starts a suite
 * when none answers).
 */
export async function startSuiteProcess(dataDir: string, ports: SuitePorts, env: Record<string, string> = {}): Promise<SuiteProcess> {
  if (!existsSync(SUITE_MAIN)) throw new Error(`${SUITE_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    AUTHMESH_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(ports.gateway),
    AUTH_PORT: String(ports.auth),
    ORDERS_PORT: String(ports.orders),
    PROFILES_PORT: String(ports.profiles),
    // Nothing is derived from the management listeners' ports: any free one will do.
    GATEWAY_MANAGEMENT_PORT: '0',
    AUTH_MANAGEMENT_PORT: '0',
    ORDERS_MANAGEMENT_PORT: '0',
    PROFILES_MANAGEMENT_PORT: '0',
  };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'AUTH_ISSUER', 'AUTH_URL', 'ORDERS_URL', 'PROFILES_URL', 'AUTH_SEED_CLIENTS']) {
    delete childEnv[name];
  }
  const child = spawn(process.execPath, [SUITE_MAIN], { env: { ...childEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the suite was not ready within 90 s:\n${out}`)), 90_000);
    child.stdout?.on('data', () => {
      if (out.includes('suite: all 4 services ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the suite exited with ${code} before it was ready:\n${out}`));
    });
  }).catch((e: unknown) => {
    killGroup(child, 'SIGKILL');
    throw e;
  });
  return { child, ports, output: () => out };
}

/** `signal` to the whole process group (the suite stops its apps and databases), SIGKILL if it hangs. */
export async function stopSuiteProcess(suite: SuiteProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child } = suite;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, signal);
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}
