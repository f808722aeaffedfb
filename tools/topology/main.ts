import { ConfigError } from '@authmesh/platform';
import { SERVICES, type Topology, startTopology } from './topology.js';
import { type TopologyCliOptions, readTopologyOptions } from './topology-env.js';

/**
 * `npm run start:topology`: auth ×2, orders ×2, profiles ×1, gateway ×2, each its own process
 * from `dist/`, behind a round-robin per service on `npm start`'s ports, against the real
 * PostgreSQL and Redis of DATABASE_URL and REDIS_URL. Ctrl-C (or SIGTERM) stops every process group.
 */
async function main(): Promise<void> {
  let options: TopologyCliOptions;
  try {
    options = readTopologyOptions(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const running: { topology?: Topology } = {};
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`topology: ${signal}: stopping every process\n`);
    // Mid-start, the processes are stopped once startTopology returns them (below).
    if (running.topology) void running.topology.stop().then(() => process.exit(0));
  };
  // `on`, not `once`: a wrapper (npm, timeout) forwards the signal it got to its child's whole
  // group, so the same signal arrives twice; the default action of the second would kill this
  // process mid-stop and orphan the replicas, which lead process groups of their own.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const topology = await startTopology({ ...options, log: (line) => process.stdout.write(`${line}\n`) });
  if (stopping) {
    await topology.stop();
    process.exit(0);
  }
  running.topology = topology;
  const count = Object.values(topology.replicas).reduce((n, r) => n + r.length, 0);
  for (const service of SERVICES) {
    if (topology.urls[service])
      process.stdout.write(`topology: ${service} ×${topology.replicas[service].length} on ${topology.urls[service]}\n`);
  }
  process.stdout.write(`topology: all ${count} processes ready (Ctrl-C to stop)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`topology failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
