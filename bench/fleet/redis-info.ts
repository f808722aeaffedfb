import { Redis } from 'ioredis';

/** The INFO counters a scenario reports, read on the server that served the catch-up. */
export interface RedisCounters {
  readonly commands: number;
  readonly outputBytes: number;
  /** used_cpu_sys + used_cpu_user, seconds. */
  readonly cpuSeconds: number;
  /** Calls per command name (INFO commandstats, e.g. `get`, `client|setname`). */
  readonly calls: ReadonlyMap<string, number>;
  readonly connectedClients: number;
}

export const ZERO_COUNTERS: RedisCounters = { commands: 0, outputBytes: 0, cpuSeconds: 0, calls: new Map(), connectedClients: 0 };

/** One INFO (stats, cpu, commandstats, clients) on a short-lived connection of its own. */
export async function readCounters(port: number): Promise<RedisCounters> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    const text = (await client.call('INFO', 'stats', 'cpu', 'commandstats', 'clients')) as string;
    const fields = new Map<string, string>();
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
    const calls = new Map<string, number>();
    for (const [key, value] of fields) {
      if (!key.startsWith('cmdstat_')) continue;
      calls.set(key.slice('cmdstat_'.length), Number(/calls=(\d+)/.exec(value)?.[1] ?? 0));
    }
    const num = (name: string): number => Number(fields.get(name) ?? 0);
    return {
      commands: num('total_commands_processed'),
      outputBytes: num('total_net_output_bytes'),
      cpuSeconds: num('used_cpu_sys') + num('used_cpu_user'),
      calls,
      connectedClients: num('connected_clients'),
    };
  } finally {
    client.disconnect();
  }
}

/** `after − before`, command by command (INFO's own calls included: a handful per scenario). */
export function delta(before: RedisCounters, after: RedisCounters): RedisCounters {
  const calls = new Map<string, number>();
  for (const [name, n] of after.calls) {
    const d = n - (before.calls.get(name) ?? 0);
    if (d > 0) calls.set(name, d);
  }
  return {
    commands: after.commands - before.commands,
    outputBytes: after.outputBytes - before.outputBytes,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    calls,
    connectedClients: after.connectedClients,
  };
}
