import { BASE_ENV, type Env, EnvReader, type EnvTable, envSchemas, envVar, parseRedisUrl } from '@authmesh/platform';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_BALANCER_PORTS, DEFAULT_REPLICAS, SERVICES, type ServiceName } from './topology.js';

/**
 * A REDIS_URL the services accept (every form: one server, Sentinel, Cluster), kept as written
 * since each replica parses it itself, and not the in-process stand-in.
 */
const realRedisUrl = z.string().superRefine((v, ctx) => {
  const parsed = parseRedisUrl(v);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
  else if (parsed.config.kind === 'memory') {
    ctx.addIssue({ code: 'custom', message: 'must be a real Redis: memory:// lives in one process, and the topology runs seven' });
  }
});

/**
 * What `npm run start:topology` reads. Unlike `npm start` it has no embedded defaults: every
 * service is its own process, so the in-memory Redis stand-in (one process's memory) and PGlite
 * (one process's files) cannot be shared, and a missing server stops it naming the variable.
 */
export const TOPOLOGY_ENV = {
  databaseUrl: envVar.required('DATABASE_URL', BASE_ENV.databaseUrl.schema, {
    description:
      'The real PostgreSQL server; each service uses (and creates) its own database `<db>_<app>` on it, both auth replicas the same one.',
    hint: 'the topology runs no embedded database; e.g. postgres://postgres@127.0.0.1:5432/authmesh',
    secret: true,
  }),
  redisUrl: envVar.required('REDIS_URL', realRedisUrl, {
    description:
      'The real Redis every replica shares (blocklist, announcements, sessions, rate limits), in any form the services take; `memory://` is refused.',
    hint: 'e.g. redis://127.0.0.1:6379',
    // It may carry passwords (BASE_ENV's REDIS_URL is secret for the same reason): never echoed.
    secret: true,
  }),
  dataDir: envVar.withDefault('AUTHMESH_DATA_DIR', z.string(), '.data', {
    description:
      "Where the generated AUTH_KEK, client secrets and admin password are kept: `npm start`'s files (`auth-kek`, `suite-clients.json`), so `authctl` and `npm run demo` find them.",
  }),
  appPort: envVar.optional('<APP>_PORT', envSchemas.port, {
    description: "The port of one service's round-robin (e.g. GATEWAY_PORT); the replicas behind it listen on free ports.",
    derivedDefault: 'gateway 3000, auth 3001, orders 3002, profiles 3003',
  }),
  appReplicas: envVar.optional('<APP>_REPLICAS', envSchemas.int(1, 8), {
    description: 'How many processes of one service to run (e.g. ORDERS_REPLICAS, 1-8).',
    derivedDefault: 'auth 2, orders 2, profiles 1, gateway 2',
  }),
} satisfies EnvTable;

/** What `npm run start:topology` runs, read from the environment. */
export interface TopologyCliOptions {
  databaseUrl: string;
  redisUrl: string;
  dataDir: string;
  ports: Record<ServiceName, number>;
  replicas: Record<ServiceName, number>;
}

/** Reads TOPOLOGY_ENV; throws one ConfigError naming every missing or bad variable (memory:// included). */
export function readTopologyOptions(env: Env): TopologyCliOptions {
  const reader = new EnvReader(env);
  const v = reader.read({ databaseUrl: TOPOLOGY_ENV.databaseUrl, redisUrl: TOPOLOGY_ENV.redisUrl, dataDir: TOPOLOGY_ENV.dataDir });
  const ports = { ...DEFAULT_BALANCER_PORTS };
  const replicas = { ...DEFAULT_REPLICAS };
  for (const service of SERVICES) {
    const name = service.toUpperCase();
    const per = reader.read({
      port: { ...TOPOLOGY_ENV.appPort, name: `${name}_PORT` },
      replicas: { ...TOPOLOGY_ENV.appReplicas, name: `${name}_REPLICAS` },
    });
    if (per?.port !== undefined) ports[service] = per.port;
    if (per?.replicas !== undefined) replicas[service] = per.replicas;
  }
  const parts = reader.finish('topology', { v });
  return { ...parts.v, dataDir: resolve(parts.v.dataDir), ports, replicas };
}
