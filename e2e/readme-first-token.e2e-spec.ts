import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@authmesh/testing';
import { type SuiteProcess, freeSuitePorts, localUrl, startSuiteProcess, stopSuiteProcess } from './support/suite-process.js';

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

const HEADING = '## First token in 60 seconds';

/** The ```bash block directly under the heading (only blank lines may sit between them). */
function firstTokenBlock(readme: string): string {
  const at = readme.indexOf(`\n${HEADING}\n`);
  if (at < 0) throw new Error(`README.md has no "${HEADING}" heading`);
  const match = /^\s*```bash\n([\s\S]*?)\n```/.exec(readme.slice(at + HEADING.length + 2));
  if (!match) throw new Error(`"${HEADING}" is not directly followed by a bash block`);
  return match[1];
}

interface Suite extends SuiteProcess {
  gatewayUrl: string;
  authUrl: string;
  dataDir: string;
}

/** The built suite on free ports and a temporary data directory, ready. */
async function startSuite(): Promise<Suite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'authmesh-readme-'));
  const suite = await startSuiteProcess(dataDir, await freeSuitePorts());
  return { ...suite, gatewayUrl: localUrl(suite.ports.gateway), authUrl: localUrl(suite.ports.auth), dataDir };
}

async function stopSuite(suite: Suite): Promise<void> {
  await stopSuiteProcess(suite, 'SIGTERM');
  rmSync(suite.dataDir, { recursive: true, force: true });
}

describe('README "First token in 60 seconds"', () => {
  let suite: Suite | undefined;

  beforeAll(async () => {
    suite = await startSuite();
  }, 120_000);

  afterAll(async () => {
    if (suite) await stopSuite(suite);
  }, 30_000);

  it('registers and logs in at auth, and places an order through the gateway, when pasted twice in a row', () => {
    const block = firstTokenBlock(readFileSync('README.md', 'utf8'));
    const orderIds: string[] = [];
    for (const run of [1, 2]) {
      const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
        env: { ...process.env, GW: suite!.gatewayUrl, AUTH: suite!.authUrl },
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

  it('placed those orders with orders authenticated by private_key_jwt: npm start shares no secret between orders and auth', () => {
    // What the suite seeded (AUTH_SEED_CLIENTS) and what it handed orders (ORDERS_CLIENT_KEY).
    const seeded = JSON.parse(readFileSync(join(suite!.dataDir, 'suite-clients.json'), 'utf8')) as Record<string, unknown>[];
    const orders = seeded.find((c) => c.clientId === 'orders')!;
    expect(orders).not.toHaveProperty('secret');
    expect(orders.jwks).toEqual({ keys: [expect.not.objectContaining({ d: expect.anything() })] });
    const keyFile = join(suite!.dataDir, 'orders-client-key.json');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, string>;
    expect(key).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      d: expect.any(String),
      kid: (orders.jwks as { keys: { kid: string }[] }).keys[0]!.kid,
    });
    expect(JSON.stringify(seeded)).not.toContain(key.d);
  });

  it('fails loudly, not with TOKEN=undefined, when the suite is not there', async () => {
    const block = firstTokenBlock(readFileSync('README.md', 'utf8'));
    const deadPort = await freePort();
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
      env: { ...process.env, GW: `http://127.0.0.1:${deadPort}`, AUTH: `http://127.0.0.1:${deadPort}` },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stdout).not.toContain('"status":"placed"');
    expect(result.stderr).toMatch(/curl: \(7\)/);
  }, 60_000);
});
