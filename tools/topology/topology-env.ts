import { BASE_ENV, type EnvTable, envSchemas, envVar } from '@authmesh/platform';
import { z } from 'zod';

/**
 * What `npm run start:topology` reads. Unlike `npm start` it has no embedded defaults: every
 * service is its own process, so the in-memory Redis stand-in (one process's memory) and PGlite
 * (one process's files) cannot be shared, and a missing server stops it naming the variable.
 */
export const TOPOLOGY_ENV = {
  databaseUrl: envVar.required('DATABASE_URL', BASE_ENV.databaseUrl.schema, {
    description:
      'The real PostgreSQL server; each service uses (and creates) its own database `<db>_<app>` on it, both auth replicas the same one.',
    hint: 'e.g. postgres://postgres@127.0.0.1:5432/authmesh (the topology runs no embedded database)',
    secret: true,
  }),
  redisUrl: envVar.required(
    'REDIS_URL',
    BASE_ENV.redisUrl.schema.refine(
      (v) => !v.startsWith('memory:'),
      'must be a real Redis: memory:// lives in one process, and the topology runs seven',
    ),
    {
      description: 'The real Redis every replica shares (blocklist, announcements, sessions, rate limits); `memory://` is refused.',
      hint: 'e.g. redis://127.0.0.1:6379',
    },
  ),
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
