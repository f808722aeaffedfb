import { appDatabaseUrl } from '@authmesh/platform';
import { forwardingEnv } from '../../apps/suite/src/forwarding-env.js';
import { RoundRobin } from './round-robin.js';
import { topologySecrets, type TopologySecrets } from './secrets.js';
import { type ServiceName, ServiceProcess, killGroup } from './service-process.js';

export type { ServiceName } from './service-process.js';

export const SERVICES: readonly ServiceName[] = ['auth', 'profiles', 'orders', 'gateway'];

/** What the issue asks the topology to be: the closest this machine gets to the cluster. */
export const DEFAULT_REPLICAS: Readonly<Record<ServiceName, number>> = { auth: 2, orders: 2, profiles: 1, gateway: 2 };
/** `npm start`'s ports, so the README's curl lines, `authctl` and `npm run demo` work unchanged. */
export const DEFAULT_BALANCER_PORTS: Readonly<Record<ServiceName, number>> = { gateway: 3000, auth: 3001, orders: 3002, profiles: 3003 };

export interface TopologyOptions {
  /** A real PostgreSQL server (DATABASE_URL form): each service its own database `<db>_<app>` on it. */
  databaseUrl: string;
  /** A real Redis: every replica shares it. */
  redisUrl: string;
  /** Where the KEK and client secrets are kept (see secrets.ts). */
  dataDir: string;
  /** Processes per service (default DEFAULT_REPLICAS); 0 leaves a service out (its dependants must be out too). */
  replicas?: Partial<Record<ServiceName, number>>;
  /** Round-robin ports (default 0: any free port; `npm run start:topology` passes DEFAULT_BALANCER_PORTS). */
  ports?: Partial<Record<ServiceName, number>>;
  /** Added to every process's environment, after the topology's own wiring (so it wins). */
  env?: Record<string, string>;
  /** Added to one service's processes, last. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Every line a process prints, prefixed `<service>-<n> |`, and one line per process start. */
  log?: (line: string) => void;
}

export interface Replica {
  readonly service: ServiceName;
  /** 1-based. */
  readonly index: number;
  readonly process: ServiceProcess;
  readonly url: string;
  readonly managementUrl: string;
}

export interface Topology {
  /** The round-robin in front of each service: what clients and the other services call. */
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly replicas: Readonly<Record<ServiceName, readonly Replica[]>>;
  /** The database each service uses (both auth replicas share one). */
  readonly databaseUrls: Readonly<Record<ServiceName, string>>;
  readonly secrets: TopologySecrets;
  /** What every process printed, prefixed. */
  output(): string;
  /** Stops every replica (gateways first, auth last), then the round-robins. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts each service as its own OS process from the build output (`dist/`), behind a
 * round-robin per service, against real PostgreSQL and Redis — what `npm run start:topology`,
 * the `e2e/topology/` tests and `npm run demo` (in CI) run.
 *
 * Wiring, as a cluster would have it: every replica reaches every other service through that
 * service's round-robin, never a replica directly; auth's `iss` is its round-robin's URL (so a
 * token from either replica names the same issuer, and verifiers fetch the JWKS through it); the
 * gateways share one public origin (their round-robin's), hence one session cookie and CSRF origin.
 *
 * Order: the first replica of each service starts alone and the others once it is up, as a
 * rolling first install would: it creates the database, runs the migrations and (auth) creates the
 * first signing key and seeds the clients, so the others start against a ready schema (migrations
 * and the first key are under advisory locks anyway; this keeps a failed start attributable to one
 * process). Profiles before orders, orders before the gateway: each is ready before anything calls it.
 */
export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const replicasOf = { ...DEFAULT_REPLICAS, ...options.replicas };
  const log = options.log ?? (() => undefined);
  let printed = '';
  const sink = (line: string): void => {
    printed = printed.length > 2_000_000 ? `${printed.slice(-1_000_000)}${line}\n` : `${printed}${line}\n`;
    log(line);
  };
  // Generated once the gateways' round-robin is up: the gateway's client is registered at its origin.
  let secrets!: TopologySecrets;
  const balancers = new Map<ServiceName, RoundRobin>();
  const replicas: Record<ServiceName, Replica[]> = { auth: [], orders: [], profiles: [], gateway: [] };
  const databaseUrls = Object.fromEntries(SERVICES.map((s) => [s, appDatabaseUrl(options.databaseUrl, s)])) as Record<ServiceName, string>;
  let stopped = false;
  // Last resort if this process ends without stop() (an uncaught error, process.exit mid-stop):
  // the replicas lead process groups of their own, so nothing else would end them.
  const killLeftovers = (): void => {
    for (const r of Object.values(replicas).flat()) killGroup(r.process.child, 'SIGKILL');
  };
  process.on('exit', killLeftovers);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const service of ['gateway', 'orders', 'profiles', 'auth'] as const) {
      await Promise.all(replicas[service].map((r) => r.process.stop()));
    }
    await Promise.all([...balancers.values()].map((b) => b.close()));
    process.off('exit', killLeftovers);
  };

  try {
    for (const service of SERVICES) {
      if (replicasOf[service] > 0)
        // The gateways' balancer is the first hop: it alone sets X-Forwarded-For (see RoundRobin).
        balancers.set(service, await RoundRobin.start(service, options.ports?.[service] ?? 0, { edge: service === 'gateway' }));
    }
    const urlOf = (service: ServiceName): string => {
      const b = balancers.get(service);
      if (!b) throw new Error(`the topology runs no ${service}, which another service needs`);
      return b.url;
    };
    // Browsers reach the gateways through their round-robin: that origin is the one the code flow
    // returns to (a topology without gateways still seeds the client, at a placeholder origin).
    const gatewayPublicOrigin =
      options.serviceEnv?.gateway?.GATEWAY_PUBLIC_ORIGIN ??
      options.env?.GATEWAY_PUBLIC_ORIGIN ??
      balancers.get('gateway')?.url ??
      'http://127.0.0.1:3000';
    secrets = topologySecrets(options.dataDir, gatewayPublicOrigin);

    const envFor = (service: ServiceName): Record<string, string | undefined> => {
      const env: Record<string, string | undefined> = {
        ...process.env,
        // Each replica listens on a free port of its own; its round-robin's port is the service's.
        PORT: '0',
        MANAGEMENT_PORT: '0',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
      };
      // A value meant for one app under `npm start` (<APP>_DATABASE_URL, AUTH_PORT) must not move a replica.
      for (const s of SERVICES) {
        delete env[`${s.toUpperCase()}_DATABASE_URL`];
        delete env[`${s.toUpperCase()}_PORT`];
        delete env[`${s.toUpperCase()}_MANAGEMENT_PORT`];
      }
      for (const [k, v] of Object.entries(forwardingEnv(service, secrets.proxySecret))) env[k] = v;
      if (service === 'auth') {
        Object.assign(env, {
          AUTH_ISSUER: urlOf('auth'),
          AUTH_KEK: secrets.kek,
          AUTH_SEED_CLIENTS: secrets.seedClients,
          AUTH_SEED_ADMIN_EMAIL: secrets.admin.email,
          AUTH_SEED_ADMIN_PASSWORD: secrets.admin.password,
        });
      } else {
        env.AUTH_ISSUER = urlOf('auth');
      }
      if (service === 'orders') {
        Object.assign(env, {
          ORDERS_CLIENT_ID: 'orders',
          // private_key_jwt: orders holds its private key, auth only the public half (no shared secret).
          ORDERS_CLIENT_KEY: secrets.clientKey('orders'),
          PROFILES_URL: urlOf('profiles'),
        });
      }
      if (service === 'gateway') {
        Object.assign(env, {
          AUTH_URL: urlOf('auth'),
          ORDERS_URL: urlOf('orders'),
          PROFILES_URL: urlOf('profiles'),
          GATEWAY_CLIENT_ID: 'gateway',
          GATEWAY_CLIENT_SECRET: secrets.clientSecret('gateway'),
          GATEWAY_PUBLIC_ORIGIN: urlOf('gateway'),
          // Browsers reach auth through its round-robin too (the hosted login page, authorize, end-session).
          GATEWAY_AUTH_PUBLIC_URL: urlOf('auth'),
        });
      }
      return { ...env, ...options.env, ...options.serviceEnv?.[service] };
    };

    const startReplica = async (service: ServiceName, index: number): Promise<void> => {
      const label = `${service}-${index}`;
      const proc = await ServiceProcess.start(service, label, envFor(service), sink);
      replicas[service].push({ service, index, process: proc, url: proc.url, managementUrl: proc.managementUrl });
      replicas[service].sort((a, b) => a.index - b.index);
      balancers.get(service)!.setUpstreams(replicas[service].map((r) => r.url));
      sink(`${label} | started: pid ${proc.pid}, ${proc.url} (management ${proc.managementUrl}), behind ${urlOf(service)}`);
    };

    for (const service of SERVICES) {
      const count = replicasOf[service];
      if (count === 0) continue;
      await startReplica(service, 1);
      const rest = Array.from({ length: count - 1 }, (_, i) => i + 2);
      await Promise.all(rest.map((i) => startReplica(service, i)));
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const urls = Object.fromEntries([...balancers].map(([s, b]) => [s, b.url])) as Record<ServiceName, string>;
  return { urls, replicas, databaseUrls, secrets, output: () => printed, stop };
}
