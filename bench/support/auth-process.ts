/**
 * authmesh's auth as a bench peer: `node dist/apps/auth/src/main.js` in a process of its own, as
 * `npm run start:auth` runs it, on loopback ports picked here, with a fresh database on the real
 * Postgres (`authmesh_bench_<random>_auth`, dropped by `stop()`) and the real Redis. Whatever a bench
 * needs raised (rate limits, guessing budgets) it passes as configuration in `env`: never a code path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';

export interface AuthProcess {
  readonly url: string;
  readonly managementUrl: string;
  readonly pid: number;
  /** Stops auth (SIGTERM, then SIGKILL) and drops its database. */
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited ${child.exitCode ?? child.signalCode} before answering`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function dropDatabases(serverUrl: string, prefix: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      `${prefix}_`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts auth from the build with `env` on top of the bench defaults; resolves once it is ready. */
export async function startAuthProcess(env: Readonly<Record<string, string>>): Promise<AuthProcess> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // No default: auth writes rate-limit budgets and the revocation stream there, so it must be a
  // Redis the bench may use, named on purpose (never whatever answers on 6379).
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL must name the Redis this bench may write to');
  const prefix = `authmesh_bench_${randomBytes(4).toString('hex')}`;
  const db = new URL(serverUrl);
  db.pathname = `/${prefix}`;
  const [port, managementPort] = [await freePort(), await freePort()];
  const main = new URL('../../apps/auth/src/main.js', import.meta.url).pathname;
  let stderr = '';
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      ...(process.env.UV_THREADPOOL_SIZE && { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE }),
      NODE_ENV: 'production',
      DATABASE_URL: db.toString(),
      REDIS_URL: redisUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      MANAGEMENT_PORT: String(managementPort),
      LOG_LEVEL: 'warn',
      AUTH_KEK: randomBytes(32).toString('base64'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await dropDatabases(serverUrl, prefix);
  };
  try {
    await waitForHttp(`${managementUrl}/health/ready`, child);
  } catch (e) {
    await stop().catch(() => undefined);
    throw new Error(`auth did not start: ${e instanceof Error ? e.message : String(e)}\n${stderr.trim()}`, { cause: e });
  }
  return { url: `http://127.0.0.1:${port}`, managementUrl, pid: child.pid!, stop };
}

/**
 * On SIGTERM (the runner's timeout, or Ctrl-C there), runs `cleanup` — stop the servers this bench
 * started, drop their databases — then exits 143, instead of dying with them left behind.
 */
export function cleanUpOnSigterm(cleanup: () => Promise<void>): void {
  process.once('SIGTERM', () => {
    process.stderr.write('SIGTERM: stopping what this bench started\n');
    void cleanup()
      .catch(() => undefined)
      .finally(() => process.exit(143));
  });
}
