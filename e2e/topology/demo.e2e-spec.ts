import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeSuitePorts, localUrl } from '../support/suite-process.js';
import { runDemo } from './support.js';

// `npm run demo` as CI and a new user run it: the BUILT script (npm test builds first), with no
// suite answering at its URLs, so it starts the built suite itself (npm start's embedded defaults:
// PGlite, the in-memory Redis stand-in) on those ports — free ones here, never 3000–3003 — tells
// the story and stops the suite. Against the multi-process topology on real Redis (the FLUSHALL
// step included), demo-topology.e2e-spec.ts runs it on a Redis of its own, and CI (.ci/run) too.
describe('npm run demo (e2e: the built script, starting the built suite itself)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'authmesh-demo-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('passes every step, prints one line per step and the table, and says why it skips the flush', async () => {
    const ports = await freeSuitePorts();
    const run = await runDemo({
      GATEWAY_URL: localUrl(ports.gateway),
      AUTH_URL: localUrl(ports.auth),
      ORDERS_URL: localUrl(ports.orders),
      PROFILES_URL: localUrl(ports.profiles),
      AUTHMESH_DATA_DIR: dataDir,
    });
    if (run.code !== 0) throw new Error(`demo exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    expect(run.stdout).toContain(`no suite answers at ${localUrl(ports.gateway)}; starting the built one`);
    const stepLines = run.stdout.split('\n').filter((l) => /^[✓✗-] +\d+\. /.test(l));
    expect(stepLines).toHaveLength(10);
    expect(stepLines.slice(0, 9).every((l) => l.startsWith('✓'))).toBe(true);
    expect(stepLines[9]).toMatch(/^- 10\. FLUSHALL Redis.*skipped, the suite runs on the in-memory stand-in/);
    expect(run.stdout).toMatch(/within \d+ ms \(≤ 1000\)/);
    expect(run.stdout).toMatch(/│ step +│ result +│ ms +│/);
    expect(run.stdout).toContain('demo: every step behaved');
    // It stopped the suite it started: nothing answers on its gateway port any more.
    await expect(fetch(`${localUrl(ports.gateway)}/health/live`)).rejects.toThrow();
  }, 88_000);

  it('exits 1 naming the URL when only part of a suite answers', async () => {
    const ports = await freeSuitePorts();
    const { createServer } = await import('node:http');
    const fake = createServer((_req, res) => res.writeHead(200).end('{}'));
    await new Promise<void>((r) => fake.listen(ports.gateway, '127.0.0.1', r));
    try {
      const run = await runDemo({
        GATEWAY_URL: localUrl(ports.gateway),
        AUTH_URL: localUrl(ports.auth),
        ORDERS_URL: localUrl(ports.orders),
        PROFILES_URL: localUrl(ports.profiles),
        AUTHMESH_DATA_DIR: dataDir,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`only part of a suite answers; nothing at auth ${localUrl(ports.auth)}`);
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });
});
