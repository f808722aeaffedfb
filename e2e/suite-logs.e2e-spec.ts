import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SuiteProcess, freeSuitePorts, localUrl, startSuiteProcess, stopSuiteProcess } from './support/suite-process.js';

/**
 * `npm start` (the built suite, four apps in one process): each service's lines carry its own
 * name, and a request sent straight to orders writes orders' access line. Before, nestjs-pino's
 * one pino-http instance per process named every line `auth`, and only Nest routes were logged.
 */
describe('npm start: a logger per service', () => {
  let dataDir: string;
  let suite: SuiteProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'authmesh-logs-'));
    suite = await startSuiteProcess(dataDir, await freeSuitePorts(), { LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
  }, 120_000);
  afterAll(async () => {
    if (suite) await stopSuiteProcess(suite, 'SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const lines = (): Record<string, unknown>[] =>
    suite!
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it("names every service's lines after it", () => {
    expect(new Set(lines().map((l) => l.name))).toEqual(new Set(['auth', 'orders', 'profiles', 'gateway']));
  });

  it('writes an access line for a request sent straight to orders', async () => {
    const res = await fetch(`${localUrl(suite!.ports.orders)}/orders`);
    expect(res.status).toBe(401);
    const requestId = res.headers.get('x-request-id');
    await new Promise((r) => setTimeout(r, 200));
    expect(lines().find((l) => l.requestId === requestId)).toMatchObject({
      name: 'orders',
      msg: 'request completed',
      method: 'GET',
      route: '/orders',
      status: 401,
      code: 'token_missing',
    });
  });
});
