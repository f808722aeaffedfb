import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersPing } from './owned-redis-topologies.js';
import { freePort, waitFor } from './ports.js';

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export interface OwnedRedisOptions {
  /**
   * Persist to a directory of its own, on `SAVE` only: a restart then comes back from the last SAVE,
   * losing what Redis acknowledged after it while keeping what it held before (the partial loss of
   * a failover to a lagging replica, an AOF `everysec` loss, an older RDB). Default: nothing kept.
   */
  readonly snapshots?: boolean;
}

/**
 * A redis-server this test owns, on a port of its own, so a test can really stop it (a fault)
 * and start it again on the same port. Nothing is persisted unless `snapshots` is set.
 */
export class OwnedRedis {
  private child?: ChildProcess;
  private readonly dir: string | undefined;

  private constructor(
    readonly port: number,
    options: OwnedRedisOptions,
  ) {
    this.dir = options.snapshots ? mkdtempSync(join(tmpdir(), 'authmesh-redis-rdb-')) : undefined;
  }

  static async start(options: OwnedRedisOptions = {}): Promise<OwnedRedis> {
    const r = new OwnedRedis(await freePort(), options);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const persistence = this.dir === undefined ? [] : ['--dir', this.dir, '--dbfilename', 'dump.rdb'];
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', ...persistence, '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    // PONG, not only an open port: a server loading its snapshot accepts connections but answers LOADING.
    await waitFor(() => answersPing(this.port), 10_000, 20);
  }

  /** SIGSTOP / SIGCONT: the process stops answering with its sockets open (a host frozen, a partition). */
  freeze(frozen: boolean): void {
    this.child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL: nothing is saved on the way down (with `snapshots`, what came after the last SAVE is gone). */
  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGKILL');
    this.child = undefined;
  }

  /** Stops it and removes its snapshot directory. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

function postgresBinDir(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const root = '/usr/lib/postgresql';
    const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
    if (!versions.length) throw new Error('PostgreSQL server binaries not found (install postgresql)');
    return join(root, versions[0]!, 'bin');
  }
}

/** As root, run PostgreSQL as the `postgres` user (it refuses to run as root). */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * A PostgreSQL server this test owns (initdb into a temp dir, its own port), so a test can really
 * stop Postgres and start it again on the same port.
 */
export class OwnedPostgres {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  static async start(): Promise<OwnedPostgres> {
    const bin = postgresBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'authmesh-pg-'));
    const user = postgresUser();
    if (user) chownSync(dir, user.uid, user.gid);
    execFileSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync'], {
      stdio: 'ignore',
      ...user,
    });
    const server = new OwnedPostgres(await freePort(), dir, bin, user);
    await server.start();
    return server;
  }

  /** URL of database `name` on this server (the `postgres` database by default). */
  url(name = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  async start(): Promise<void> {
    const args = [
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ];
    this.child = spawn(join(this.bin, 'postgres'), args, { stdio: 'ignore', ...this.user });
    await waitFor(() => portAnswers(this.port), 20_000, 100);
  }

  /** Fast shutdown (SIGINT): connections are cut, as when the database host goes away. */
  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGINT');
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
