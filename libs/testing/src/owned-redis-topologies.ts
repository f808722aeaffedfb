import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './ports.js';
import { TcpProxy } from './tcp-proxy.js';

const HOST = '127.0.0.1';

/**
 * One command to one server on a connection of its own, closed at once. The harness never keeps
 * admin connections: a killed server must not leave a reconnecting client behind in the test.
 */
async function adminCall(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

async function adminText(port: number, ...args: (string | number)[]): Promise<string> {
  return String(await adminCall(port, ...args));
}

/** `field:value` lines of INFO / CLUSTER INFO. */
function infoField(text: string, field: string): string | undefined {
  const line = text.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/** Whether the redis-server on `port` answers PING (not only accepts connections: a loading server answers LOADING). */
export async function answersPing(port: number): Promise<boolean> {
  try {
    return (await adminCall(port, 'PING')) === 'PONG';
  } catch {
    return false;
  }
}

/** Waits until the server on `port` answers PING; a failed spawn is named in the error. */
async function waitAnswering(proc: OwnedProcess | undefined, port: number): Promise<void> {
  try {
    await waitFor(() => answersPing(port), 10_000);
  } catch (e) {
    throw new Error(`${proc?.spawnError ?? 'redis-server'} did not answer on port ${port}`, { cause: e });
  }
}

/** A child process that must be gone before the test ends; SIGKILL is the fault being tested. */
class OwnedProcess {
  private child: ChildProcess | undefined;
  spawnError: string | undefined;
  constructor(
    private readonly command: string,
    private readonly args: readonly string[],
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    this.child = spawn(this.command, [...this.args], { stdio: 'ignore' });
    // A missing binary must not crash the test process with an unhandled 'error' event; the
    // start-up wait then fails, and `spawnError` says why.
    this.child.on('error', (err) => {
      this.spawnError = `${this.command}: ${err.message}`;
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * Flags every owned server gets: loopback only, no persistence (a killed node comes back empty,
 * as a replaced pod would), `noeviction` — the revocation data must never be evicted
 * (docs/operations.md, "Redis topologies") — and no 5 s wait before a full sync (Redis 7's
 * `repl-diskless-sync-delay` batches replicas; a test's replica is alone).
 */
function commonServerArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
    '--repl-diskless-sync-delay',
    '0',
  ];
}

export interface ClusterNode {
  readonly port: number;
  /** CLUSTER MYID, fixed for the node's life (nodes.conf is kept across a restart). */
  readonly id: string;
}

export interface OwnedRedisClusterOptions {
  /** Masters (default 3: the least that can elect a replica after one master dies). */
  readonly masters?: number;
  /** Replicas per master (default 1). */
  readonly replicasPerMaster?: number;
  /**
   * `cluster-node-timeout` in ms (default 1000): how long a master may not answer before its
   * replica is elected (Redis Cluster spec, "Failure detection"); small so a test's failover takes ~2 s.
   */
  readonly nodeTimeoutMs?: number;
}

/**
 * A Redis Cluster this test owns: `masters` masters and `replicasPerMaster` replicas each, every
 * node a `redis-server --cluster-enabled yes` on a free port with a temp dir of its own. Slots are
 * split evenly with CLUSTER ADDSLOTSRANGE, the nodes joined with CLUSTER MEET, the replicas
 * attached with CLUSTER REPLICATE; `start()` returns once every node says `cluster_state:ok` and
 * every replica's link is up. `killMaster(key)` is a real failover: SIGKILL the master of the
 * key's slot, wait until its replica owns the slot.
 *
 * @example
 * const cluster = await OwnedRedisCluster.start();
 * const app = await newTestApp(ordersApp, { REDIS_URL: cluster.url });
 * await cluster.killMaster('{revocation}:generation');
 * await cluster.stop();
 */
export class OwnedRedisCluster {
  private readonly processes = new Map<number, OwnedProcess>();

  private constructor(
    private readonly dir: string,
    readonly nodes: readonly ClusterNode[],
    private readonly nodeTimeoutMs: number,
  ) {}

  static async start(options: OwnedRedisClusterOptions = {}): Promise<OwnedRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 1;
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
    const dir = mkdtempSync(join(tmpdir(), 'authmesh-redis-cluster-'));
    const ports: number[] = [];
    while (ports.length < masters * (1 + replicas)) {
      const p = await freePort();
      // The cluster bus listens on port + 10000: both must be free and below 65536.
      if (p + 10000 < 65536 && !ports.includes(p)) ports.push(p);
    }
    const cluster = new OwnedRedisCluster(dir, [], nodeTimeoutMs);
    try {
      for (const port of ports) await cluster.spawnNode(port);
      await Promise.all(ports.map((p) => waitAnswering(cluster.processes.get(p), p)));
      const nodes: ClusterNode[] = [];
      for (const port of ports) nodes.push({ port, id: await adminText(port, 'CLUSTER', 'MYID') });
      (cluster as { nodes: readonly ClusterNode[] }).nodes = nodes;

      // Slots 0..16383 split evenly among the masters (the first `masters` ports).
      const per = Math.ceil(16384 / masters);
      for (let m = 0; m < masters; m++) {
        const from = m * per;
        const to = Math.min(16383, from + per - 1);
        await adminCall(ports[m]!, 'CLUSTER', 'ADDSLOTSRANGE', from, to);
      }
      for (const port of ports.slice(1)) await adminCall(port, 'CLUSTER', 'MEET', HOST, ports[0]!);
      // Every node must know every other before a replica can be attached to its master.
      await waitFor(async () => {
        for (const port of ports) {
          const known = (await adminText(port, 'CLUSTER', 'NODES')).trim().split('\n').length;
          if (known < ports.length) return false;
        }
        return true;
      }, 15_000);
      for (let r = 0; r < masters * replicas; r++) {
        const master = nodes[r % masters]!;
        await adminCall(nodes[masters + r]!.port, 'CLUSTER', 'REPLICATE', master.id);
      }
      await cluster.waitHealthy();
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /** REDIS_URL for the suite: the seed list (every node; ioredis discovers the topology from any). */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `${HOST}:${n.port}`).join(',')}`;
  }

  /** The nodes as ioredis's `Cluster` takes them, for a test's own client. */
  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: HOST, port: n.port }));
  }

  /** Ports of the nodes running now. */
  get livePorts(): number[] {
    return this.nodes.filter((n) => this.processes.get(n.port)?.running).map((n) => n.port);
  }

  /** The port of the master serving `key`'s slot, as a live node sees it now. */
  async masterOf(key: string): Promise<number> {
    const port = this.livePorts[0];
    if (port === undefined) throw new Error('no cluster node is running');
    const slot = Number(await adminCall(port, 'CLUSTER', 'KEYSLOT', key));
    return this.masterOfSlot(slot);
  }

  /**
   * Waits (up to `timeoutMs`) until at least one replica of the master holding `key` has
   * acknowledged every write made so far (`WAIT 1`): replication is asynchronous, so a key written
   * just before a kill may never have reached the replica that takes over. Tests that assert a key
   * survives a failover call this first ("where Redis kept it").
   */
  async waitReplicated(key: string, timeoutMs = 5000): Promise<void> {
    const master = await this.masterOf(key);
    const acked = Number(await adminCall(master, 'WAIT', 1, timeoutMs));
    if (acked < 1) throw new Error(`no replica of ${master} acknowledged its writes within ${timeoutMs} ms`);
  }

  /** `waitReplicated` for every live master (a test that cannot say which master holds its keys). */
  async waitAllReplicated(timeoutMs = 5000): Promise<void> {
    for (const port of this.livePorts) {
      if (infoField(await adminText(port, 'INFO', 'replication'), 'role') !== 'master') continue;
      const acked = Number(await adminCall(port, 'WAIT', 1, timeoutMs));
      if (acked < 1) throw new Error(`no replica of ${port} acknowledged its writes within ${timeoutMs} ms`);
    }
  }

  /**
   * SIGKILLs the master holding `key` and waits (up to `timeoutMs`) until one of its replicas has
   * been elected for the slot and every live node says `cluster_state:ok`.
   * Returns the killed port and the new master's.
   */
  async killMaster(key: string, timeoutMs = 15_000): Promise<{ killed: number; promoted: number }> {
    const slot = Number(await adminCall(this.livePorts[0]!, 'CLUSTER', 'KEYSLOT', key));
    const killed = await this.masterOfSlot(slot);
    await this.processes.get(killed)!.kill();
    let promoted = killed;
    await waitFor(
      async () => {
        promoted = await this.masterOfSlot(slot);
        return promoted !== killed;
      },
      timeoutMs,
      100,
    );
    await this.waitClusterOk(timeoutMs);
    return { killed, promoted };
  }

  /**
   * Starts a killed node again on its port (empty: nothing is persisted, but its nodes.conf is
   * kept, so it rejoins with its id and is turned into a replica of whoever took over its slots).
   */
  async restartNode(port: number): Promise<void> {
    if (this.processes.get(port)?.running) return;
    await this.spawnNode(port);
    await waitAnswering(this.processes.get(port), port);
    await this.waitHealthy();
  }

  /** Stops every node and removes the temp dirs. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.kill()));
    this.processes.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawnNode(port: number): Promise<void> {
    const nodeDir = join(this.dir, String(port));
    rmSync(join(nodeDir, 'dump.rdb'), { force: true });
    mkdirSync(nodeDir, { recursive: true });
    const proc = new OwnedProcess('redis-server', [
      ...commonServerArgs(port, nodeDir),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(nodeDir, 'nodes.conf'),
      '--cluster-node-timeout',
      String(this.nodeTimeoutMs),
      // A replica may always be elected, however long its link was down: the test decides what
      // was replicated, not a data-age heuristic (redis.conf, cluster-replica-validity-factor).
      '--cluster-replica-validity-factor',
      '0',
    ]);
    proc.start();
    this.processes.set(port, proc);
  }

  private async masterOfSlot(slot: number): Promise<number> {
    for (const port of this.livePorts) {
      try {
        const slots = (await adminCall(port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string], ...unknown[]][];
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (range) return Number(range[2][1]);
      } catch {
        // that node is not answering; ask the next
      }
    }
    throw new Error(`no live node knows a master for slot ${slot}`);
  }

  private async waitClusterOk(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        for (const port of this.livePorts) {
          if (infoField(await adminText(port, 'CLUSTER', 'INFO'), 'cluster_state') !== 'ok') return false;
        }
        return true;
      },
      timeoutMs,
      100,
    );
  }

  /** `cluster_state:ok` everywhere and every live replica's link to its master up. */
  private async waitHealthy(timeoutMs = 20_000): Promise<void> {
    await this.waitClusterOk(timeoutMs);
    await waitFor(
      async () => {
        for (const port of this.livePorts) {
          const info = await adminText(port, 'INFO', 'replication');
          if (infoField(info, 'role') === 'slave' && infoField(info, 'master_link_status') !== 'up') return false;
        }
        return true;
      },
      timeoutMs,
      100,
    );
  }
}

export interface OwnedRedisSentinelOptions {
  /** The name the sentinels monitor the primary under (default `authmesh`). */
  readonly masterName?: string;
  /**
   * Route the replica's replication link through a TcpProxy the test owns, so
   * `pauseReplication()` can make the replica lag for real: writes the primary acknowledges while
   * paused never reach the replica, and are lost when the primary is then killed (Redis
   * replication is asynchronous). Sentinel would "fix" a replica that follows another address
   * than the monitored one (`+fix-slave-config`, once failover-timeout has passed), so this mode
   * sets failover-timeout to 60 s: a failed election is then retried only after 120 s.
   */
  readonly replicaViaProxy?: boolean;
  /** `down-after-milliseconds` (default 1000): how long the primary may not answer before it is subjectively down. */
  readonly downAfterMs?: number;
}

/**
 * Redis Sentinel this test owns: a primary, one replica and three sentinels (`redis-server --sentinel`) (quorum 2),
 * each on a free port with a temp dir of its own. `start()` returns once every sentinel knows the
 * replica and the two other sentinels (so a failover can be authorised). `killPrimary()` is a
 * real failover: SIGKILL the primary, wait until every sentinel names the replica as master and
 * it says `role:master`.
 *
 * @example
 * const sentinel = await OwnedRedisSentinel.start();
 * const app = await newTestApp(ordersApp, { REDIS_URL: sentinel.url });
 * await sentinel.killPrimary();
 * await sentinel.stop();
 */
export class OwnedRedisSentinel {
  private readonly servers = new Map<number, OwnedProcess>();
  private readonly sentinels = new Map<number, OwnedProcess>();
  private proxy: TcpProxy | undefined;
  /** The port of the server the sentinels name as master now. */
  private currentMaster: number;

  private constructor(
    private readonly dir: string,
    readonly masterName: string,
    /** [primary, replica] at start; after a failover the roles are swapped. */
    readonly serverPorts: readonly [number, number],
    readonly sentinelPorts: readonly number[],
    private readonly downAfterMs: number,
    private readonly failoverTimeoutMs: number,
  ) {
    this.currentMaster = serverPorts[0];
  }

  static async start(options: OwnedRedisSentinelOptions = {}): Promise<OwnedRedisSentinel> {
    const dir = mkdtempSync(join(tmpdir(), 'authmesh-redis-sentinel-'));
    const ports: number[] = [];
    while (ports.length < 5) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const [primary, replica, ...sentinelPorts] = ports as [number, number, number, number, number];
    const s = new OwnedRedisSentinel(
      dir,
      options.masterName ?? 'authmesh',
      [primary, replica],
      sentinelPorts,
      options.downAfterMs ?? 1000,
      options.replicaViaProxy ? 60_000 : 2000,
    );
    try {
      s.spawnServer(primary);
      await waitAnswering(s.servers.get(primary), primary);
      if (options.replicaViaProxy) s.proxy = await TcpProxy.start(primary);
      s.spawnServer(replica, s.proxy?.port ?? primary);
      await waitAnswering(s.servers.get(replica), replica);
      await waitFor(async () => infoField(await adminText(replica, 'INFO', 'replication'), 'master_link_status') === 'up', 10_000);
      for (const port of sentinelPorts) s.spawnSentinel(port);
      await s.waitSentinelsAgree(primary, 20_000);
      return s;
    } catch (e) {
      await s.stop();
      throw e;
    }
  }

  /** REDIS_URL for the suite: the sentinels and the master name. */
  get url(): string {
    return `redis+sentinel://${this.sentinelPorts.map((p) => `${HOST}:${p}`).join(',')}/${this.masterName}`;
  }

  /** The sentinels as ioredis's `sentinels` option takes them, for a test's own client. */
  get sentinelAddresses(): { host: string; port: number }[] {
    return this.sentinelPorts.map((port) => ({ host: HOST, port }));
  }

  /**
   * Waits until the replica has acknowledged every write the current master took (`WAIT 1`):
   * replication is asynchronous, so a key written just before a kill may be lost with it.
   */
  async waitReplicated(timeoutMs = 5000): Promise<void> {
    const acked = Number(await adminCall(this.masterPort, 'WAIT', 1, timeoutMs));
    if (acked < 1) throw new Error(`the replica did not acknowledge ${this.masterPort}'s writes within ${timeoutMs} ms`);
  }

  /** The port of the current master (the primary until a failover, the replica after). */
  get masterPort(): number {
    return this.currentMaster;
  }

  /**
   * SIGKILLs the current master and waits (up to `timeoutMs`) until every sentinel names the other
   * server as master and that server says `role:master`. Returns the killed and the promoted port.
   */
  async killPrimary(timeoutMs = 20_000): Promise<{ killed: number; promoted: number }> {
    const killed = this.currentMaster;
    const promoted = this.serverPorts[0] === killed ? this.serverPorts[1] : this.serverPorts[0];
    await this.servers.get(killed)!.kill();
    await this.waitSentinelsAgree(promoted, timeoutMs, false);
    this.currentMaster = promoted;
    return { killed, promoted };
  }

  /**
   * Starts a killed server again on its port, empty (nothing is persisted), as a replica of the
   * current master — what a replaced pod does when it asks the sentinels for the master before
   * starting (left to the sentinels, an old primary comes back as an empty master for ~15 s until
   * `+convert-to-slave`). Waits until its link is up.
   */
  async restartServer(port: number, timeoutMs = 20_000): Promise<void> {
    if (this.servers.get(port)?.running) return;
    if (port === this.currentMaster) throw new Error(`port ${port} is the current master; only a killed server can be restarted`);
    this.spawnServer(port, this.currentMaster);
    await waitAnswering(this.servers.get(port), port);
    await waitFor(async () => infoField(await adminText(port, 'INFO', 'replication'), 'master_link_status') === 'up', timeoutMs, 100);
  }

  /** Cuts the replica's replication link (`replicaViaProxy` only): the replica lags from now on. */
  async pauseReplication(): Promise<void> {
    if (!this.proxy) throw new Error('pauseReplication needs OwnedRedisSentinel.start({ replicaViaProxy: true })');
    await this.proxy.block();
  }

  /** Lets the replica reconnect and catch up (a partial resync from the primary's backlog). */
  async resumeReplication(): Promise<void> {
    if (!this.proxy) throw new Error('resumeReplication needs OwnedRedisSentinel.start({ replicaViaProxy: true })');
    await this.proxy.unblock();
  }

  /** Stops every server, sentinel and the proxy, and removes the temp dir. */
  async stop(): Promise<void> {
    await Promise.all([...this.sentinels.values(), ...this.servers.values()].map((p) => p.kill()));
    this.sentinels.clear();
    this.servers.clear();
    await this.proxy?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnServer(port: number, replicaOf?: number): void {
    const serverDir = join(this.dir, String(port));
    mkdirSync(serverDir, { recursive: true });
    const args = commonServerArgs(port, serverDir);
    if (replicaOf !== undefined) args.push('--replicaof', HOST, String(replicaOf));
    const proc = new OwnedProcess('redis-server', args);
    proc.start();
    this.servers.set(port, proc);
  }

  private spawnSentinel(port: number): void {
    // Sentinel rewrites its config file (it records the replicas, the other sentinels and the
    // epoch), so each gets a writable file of its own.
    const file = join(this.dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${this.dir}`,
        `sentinel monitor ${this.masterName} ${HOST} ${this.serverPorts[0]} 2`,
        `sentinel down-after-milliseconds ${this.masterName} ${this.downAfterMs}`,
        `sentinel failover-timeout ${this.masterName} ${this.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${this.masterName} 1`,
        '',
      ].join('\n'),
    );
    // `redis-server <file> --sentinel` is what the redis-sentinel link runs; not every install has the link.
    const proc = new OwnedProcess('redis-server', [file, '--sentinel']);
    proc.start();
    this.sentinels.set(port, proc);
  }

  /**
   * Every sentinel names `master` for the master name and `master` says `role:master`; at start
   * (`full`) also: every sentinel knows the replica and the two other sentinels.
   */
  private async waitSentinelsAgree(master: number, timeoutMs: number, full = true): Promise<void> {
    await waitFor(
      async () => {
        for (const port of this.sentinelPorts) {
          const addr = (await adminCall(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName)) as [string, string] | null;
          if (!addr || Number(addr[1]) !== master) return false;
          if (full) {
            const fields = (await adminCall(port, 'SENTINEL', 'MASTER', this.masterName)) as string[];
            const value = (name: string) => fields[fields.indexOf(name) + 1];
            if (Number(value('num-slaves')) < 1 || Number(value('num-other-sentinels')) < 2) return false;
          }
        }
        return infoField(await adminText(master, 'INFO', 'replication'), 'role') === 'master';
      },
      timeoutMs,
      100,
    );
  }
}
