import { OwnedRedisSentinel } from '@authmesh/testing';
import { Redis } from 'ioredis';

/** Scenario (b)'s servers: @authmesh/testing's OwnedRedisSentinel (primary + replica + 3 sentinels, quorum 2). */
export interface SentinelSet {
  readonly name: string;
  readonly sentinels: readonly { host: string; port: number }[];
  readonly primaryPort: number;
  readonly replicaPort: number;
  /**
   * SIGKILLs the primary (no goodbye to clients or sentinels, as when its host dies) and resolves
   * with `Date.now()` at the first moment a sentinel names the replica as master and the replica
   * answers ROLE as one: when a feed asking the sentinels can first reach the new master.
   */
  failover(timeoutMs: number): Promise<number>;
  destroy(): Promise<void>;
}

async function ask<T>(port: number, ...args: string[]): Promise<T> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    enableReadyCheck: false,
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

export async function startSentinelSet(): Promise<SentinelSet> {
  const owned = await OwnedRedisSentinel.start();
  const [primaryPort, replicaPort] = owned.serverPorts;
  const sentinels = owned.sentinelAddresses;
  /** Polled every 5 ms (the harness's own wait polls every 100 ms and waits for all three sentinels). */
  async function promoted(deadline: number): Promise<number> {
    for (;;) {
      for (const s of sentinels) {
        const addr = await ask<string[] | null>(s.port, 'SENTINEL', 'get-master-addr-by-name', owned.masterName).catch(() => null);
        if (addr?.[1] !== String(replicaPort)) continue;
        const role = await ask<unknown[]>(replicaPort, 'ROLE').catch(() => []);
        if (role[0] === 'master') return Date.now();
      }
      if (Date.now() > deadline) throw new Error(`no failover to port ${replicaPort} by the deadline`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return {
    name: owned.masterName,
    sentinels,
    primaryPort,
    replicaPort,
    async failover(timeoutMs: number): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      const [, at] = await Promise.all([owned.killPrimary(timeoutMs), promoted(deadline)]);
      return at;
    },
    destroy: () => owned.stop(),
  };
}
