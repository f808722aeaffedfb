import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@authmesh/testing';
import { Redis } from 'ioredis';
import { untilPong } from './bench-redis.js';

/** A primary, its replica and three sentinels the bench owns, for scenario (b). */
export interface SentinelSet {
  readonly name: string;
  readonly sentinels: readonly { host: string; port: number }[];
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** SIGKILL the primary: no goodbye to clients or sentinels, as when its host dies. */
  killPrimary(): Promise<void>;
  /** Resolves with `Date.now()` once a sentinel names the replica as master and it answers as one. */
  promoted(timeoutMs: number): Promise<number>;
  destroy(): Promise<void>;
}

const NAME = 'authmesh';
/** Sentinels call the primary down after 1 s without an answer (the default 30 s would only measure waiting). */
const DOWN_AFTER_MS = 1000;

function serve(args: string[]): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore' });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

async function ask<T>(port: number, ...args: string[]): Promise<T> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call(args[0]!, ...args.slice(1))) as T;
  } finally {
    client.disconnect();
  }
}

/**
 * Starts primary + replica + 3 sentinels (quorum 2) on free ports in a temp dir, and resolves once
 * the sentinels know the replica and each other, so killing the primary really fails over.
 */
export async function startSentinelSet(): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'authmesh-fleet-sentinel-'));
  const children: ChildProcess[] = [];
  const node = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '10000', '--dir', dir];
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const primary = serve(['--port', String(primaryPort), ...node, '--dbfilename', 'primary.rdb']);
    children.push(primary);
    await untilPong(primaryPort);
    children.push(
      serve(['--port', String(replicaPort), ...node, '--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(primaryPort)]),
    );
    await untilPong(replicaPort);
    const sentinels: { host: string; port: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      // Sentinel rewrites its config file as it learns the topology: one writable file each.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${NAME} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${NAME} 10000`,
          '',
        ].join('\n'),
      );
      children.push(spawn('redis-sentinel', [conf], { stdio: 'ignore' }));
      sentinels.push({ host: '127.0.0.1', port });
    }
    await waitFor(async () => {
      for (const s of sentinels) {
        const info = await ask<string>(s.port, 'INFO', 'sentinel');
        if (!new RegExp(`name=${NAME},status=ok,address=127.0.0.1:${primaryPort},slaves=1,sentinels=3`).test(info)) return false;
      }
      return true;
    }, 30_000);
    return {
      name: NAME,
      sentinels,
      primaryPort,
      replicaPort,
      killPrimary: () => kill(primary),
      async promoted(timeoutMs: number): Promise<number> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          for (const s of sentinels) {
            const addr = await ask<string[] | null>(s.port, 'SENTINEL', 'get-master-addr-by-name', NAME).catch(() => null);
            if (addr?.[1] !== String(replicaPort)) continue;
            const role = await ask<unknown[]>(replicaPort, 'ROLE').catch(() => []);
            if (role[0] === 'master') return Date.now();
          }
          if (Date.now() > deadline) throw new Error(`no failover to port ${replicaPort} within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 5));
        }
      },
      async destroy(): Promise<void> {
        await Promise.all(children.map(kill));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await Promise.all(children.map(kill));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
