import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@authmesh/testing';

/**
 * The README's "First token in 60 seconds" block is the first thing a new user runs, so it is run
 * here exactly as written: against the built suite (`npm start` without its build step), twice in
 * a row (a second paste must not collide with the first user), under `bash -euo pipefail`.
 *
 * The suite runs with its embedded defaults (PGlite databases in a temporary data directory and
 * the in-memory Redis stand-in) because that is what `npm start` gives a fresh clone, which is the
 * promise the README makes. Its ports come from the environment (`<APP>_PORT`,
 * `<APP>_MANAGEMENT_PORT`), so this test never takes 3000–3003 from a developer's `npm start`.
 */

const SUITE_MAIN = 'dist/apps/suite/src/main.js';
const HEADING = '## First token in 60 seconds';

/** The ```bash block directly under the heading (only blank lines may sit between them). */
function firstTokenBlock(readme: string): string {
  const at = readme.indexOf(`\n${HEADING}\n`);
  if (at < 0) throw new Error(`README.md has no "${HEADING}" heading`);
  const match = /^\s*```bash\n([\s\S]*?)\n```/.exec(readme.slice(at + HEADING.length + 2));
  if (!match) throw new Error(`"${HEADING}" is not directly followed by a bash block`);
  return match[1];
}

interface Suite {
  child: ChildProcess;
  gatewayUrl: string;
  dataDir: string;
  output: () => string;
}

/** Starts the built suite in its own process group and resolves once every service is ready. */
async function startSuite(): Promise<Suite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'authmesh-readme-'));
  // Real ports for the services: auth signs tokens with `iss` = its own URL, which it computes from
  // PORT before listening (PORT=0 would give an issuer no verifier accepts).
  const [gatewayPort, authPort, ordersPort, profilesPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: Record<string, string | undefined> = {
    ...process.env,
    AUTHMESH_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(gatewayPort),
    AUTH_PORT: String(authPort),
    ORDERS_PORT: String(ordersPort),
    PROFILES_PORT: String(profilesPort),
    // Nothing is derived from the management listeners' ports: any free one will do.
    GATEWAY_MANAGEMENT_PORT: '0',
    AUTH_MANAGEMENT_PORT: '0',
    ORDERS_MANAGEMENT_PORT: '0',
    PROFILES_MANAGEMENT_PORT: '0',
  };
  // What a fresh clone has: no database or Redis configured, so the suite embeds both.
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'AUTH_ISSUER', 'AUTH_URL', 'ORDERS_URL', 'PROFILES_URL', 'AUTH_SEED_CLIENTS']) {
    delete env[name];
  }
  const child = spawn(process.execPath, [SUITE_MAIN], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the suite was not ready within 90 s:\n${out}`)), 90_000);
    const onData = (): void => {
      if (out.includes('suite: all 4 services ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the suite exited with ${code} before it was ready:\n${out}`));
    });
  });
  return { child, gatewayUrl: `http://127.0.0.1:${gatewayPort}`, dataDir, output: () => out };
}

/** SIGTERM to the whole process group (the suite stops its apps and databases), SIGKILL if it hangs. */
async function stopSuite(suite: Suite): Promise<void> {
  const { child } = suite;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
  rmSync(suite.dataDir, { recursive: true, force: true });
}

describe('README "First token in 60 seconds"', () => {
  let suite: Suite | undefined;

  beforeAll(async () => {
    if (!existsSync(SUITE_MAIN)) throw new Error(`${SUITE_MAIN} is missing: run \`npm run build\` first (npm test does)`);
    suite = await startSuite();
  }, 120_000);

  afterAll(async () => {
    if (suite) await stopSuite(suite);
  }, 30_000);

  it('registers, logs in and places an order through the gateway, when pasted twice in a row', () => {
    const block = firstTokenBlock(readFileSync('README.md', 'utf8'));
    const orderIds: string[] = [];
    for (const run of [1, 2]) {
      const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
        env: { ...process.env, GW: suite!.gatewayUrl },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const context = `run ${run}, exit ${result.status}:\n${result.stdout}\n${result.stderr}`;
      expect({ status: result.status, context }).toEqual({ status: 0, context });
      const lines = result.stdout.trim().split('\n');
      // What the README says it prints: the uniform registration answer, then the placed order.
      expect(lines[0]).toBe('{"status":"accepted"}');
      const order = JSON.parse(lines[lines.length - 1]) as { id: string; status: string; total: number; shippingAddress: { city: string } };
      expect(order).toMatchObject({ status: 'placed', total: 2500, currency: 'EUR', shippingAddress: { city: 'Lyon' } });
      orderIds.push(order.id);
    }
    expect(new Set(orderIds).size).toBe(2);
  }, 150_000);

  it('fails loudly, not with TOKEN=undefined, when the gateway is not there', async () => {
    const block = firstTokenBlock(readFileSync('README.md', 'utf8'));
    const deadPort = await freePort();
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
      env: { ...process.env, GW: `http://127.0.0.1:${deadPort}` },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('"status":"placed"');
    expect(result.stderr).toMatch(/curl: \(7\)/);
  }, 60_000);
});
