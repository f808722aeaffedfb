import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '@authmesh/testing';

/** The built `npm start` (without its build step): `npm test` builds first. */
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
 * Real free ports for the four services: auth signs tokens with `iss` = its own URL, computed from
 * its port before listening (port 0 would give an issuer no verifier accepts), and a restarted suite
 * must come back on the same ones for its earlier tokens to verify.
 */
export async function freeSuitePorts(): Promise<SuitePorts> {
  return { gateway: await freePort(), auth: await freePort(), orders: await freePort(), profiles: await freePort() };
}

/**
 * Starts the built suite in its own process group, with the embedded defaults a fresh clone gets
 * (no DATABASE_URL or REDIS_URL: PGlite in `dataDir`, the in-memory Redis stand-in), on `ports`
 * (never 3000–3003, which a developer's `npm start` may hold), and resolves once every service is
 * ready.
 */
export async function startSuiteProcess(dataDir: string, ports: SuitePorts): Promise<SuiteProcess> {
  if (!existsSync(SUITE_MAIN)) throw new Error(`${SUITE_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const env: Record<string, string | undefined> = {
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
    delete env[name];
  }
  const child = spawn(process.execPath, [SUITE_MAIN], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
  });
  return { child, ports, output: () => out };
}

/** `signal` to the whole process group (the suite stops its apps and databases), SIGKILL if it hangs. */
export async function stopSuiteProcess(suite: SuiteProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const { child } = suite;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, signal);
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}
