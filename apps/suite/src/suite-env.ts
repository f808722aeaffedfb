import { type EnvTable, envSchemas, envVar } from '@authmesh/platform';
import { z } from 'zod';

/**
 * The variables only `npm start` reads. It also fills in what a fresh clone lacks (REDIS_URL
 * `memory://`, embedded PostgreSQL, a generated AUTH_KEK and client secrets under the data
 * directory, the services' URLs); an explicit value always wins.
 */
export const SUITE_ENV = {
  dataDir: envVar.withDefault('AUTHMESH_DATA_DIR', z.string(), '.data', {
    description: 'Where `npm start` keeps its embedded databases, generated AUTH_KEK and client secrets.',
  }),
  appPort: envVar.optional('<APP>_PORT', envSchemas.port, {
    description: "One service's main port under `npm start` (e.g. GATEWAY_PORT); PORT itself is ignored there.",
    derivedDefault: 'gateway 3000, auth 3001, orders 3002, profiles 3003',
  }),
  appManagementPort: envVar.optional('<APP>_MANAGEMENT_PORT', envSchemas.port, {
    description: "One service's management port under `npm start` (e.g. AUTH_MANAGEMENT_PORT); MANAGEMENT_PORT itself is ignored there.",
    derivedDefault: 'gateway 3100, auth 3101, orders 3102, profiles 3103',
  }),
} satisfies EnvTable;
