import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { testDatabaseServerUrl, testRedisUrl } from '@authmesh/testing';
import { type Topology, type TopologyOptions, startTopology } from '../../tools/topology/topology.js';

export interface TestTopology extends Topology {
  /** Stops every process and drops the databases and the data directory this file made. */
  close(): Promise<void>;
}

async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * The topology of tools/topology on the tests' PostgreSQL and Redis, with what a test file needs
 * to run beside others: databases of its own (`authmesh_topo_<random>_<app>`), a data directory of
 * its own (KEK, client secrets), the gateway's Redis keys under a prefix of its own, every round-robin
 * on a free port (never 3000–3003), and the per-address budgets out of the way (every request of
 * every file comes from 127.0.0.1, as in newTestApp).
 */
export async function startTestTopology(options: Partial<TopologyOptions> = {}): Promise<TestTopology> {
  const server = new URL(testDatabaseServerUrl());
  const run = randomBytes(4).toString('hex');
  server.pathname = `/authmesh_topo_${run}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'authmesh-topology-'));
  const topology = await startTopology({
    databaseUrl: server.toString(),
    redisUrl: testRedisUrl(),
    dataDir,
    ...options,
    env: {
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT_PER_MIN: '1000000',
      AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
      GATEWAY_LOGIN_RATE_PER_MIN: '100000',
      GATEWAY_SECRET_RATE_PER_MIN: '100000',
      GATEWAY_REDIS_KEY_PREFIX: `topo${run}:`,
      ...options.env,
    },
  }).catch((e: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  return {
    ...topology,
    close: async () => {
      await topology.stop();
      for (const url of Object.values(topology.databaseUrls)) await dropDatabase(url).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'a long enough passphrase';

/** A new account, registered at `authUrl`: its e-mail (the password is PASSWORD). */
export async function newAccount(authUrl: string, label: string): Promise<string> {
  const email = `${label}-${randomBytes(5).toString('hex')}@example.com`;
  const res = await fetch(`${authUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 202) throw new Error(`register answered ${res.status}: ${await res.text()}`);
  return email;
}

/** The built `npm run demo` (npm test builds first). */
const DEMO = 'dist/tools/demo/main.js';

/**
 * Runs the built demo with `env` over the test's environment minus REDIS_URL and
 * AUTHCTL_CLIENT_SECRET (the tests' Redis and secrets are not the suite's unless `env` says so).
 */
export function runDemo(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv: Record<string, string | undefined> = { ...process.env };
    delete childEnv.REDIS_URL;
    delete childEnv.AUTHCTL_CLIENT_SECRET;
    execFile(process.execPath, [DEMO], { env: { ...childEnv, ...env }, timeout: 85_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}
