import { type EnvTable, envSchemas, envVar, parseRedisUrl } from '@authmesh/platform';
import { z } from 'zod';

const httpUrl = envSchemas.url(['http', 'https']);
/** Any form the services take, kept as written (the flush step parses it again to connect). */
const redisUrl = z.string().superRefine((v, ctx) => {
  const parsed = parseRedisUrl(v);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
});

/**
 * What `npm run demo` reads: where the suite answers (npm start's ports by default; the
 * topology's round-robins listen on the same ones) and, for the flush step, its Redis.
 */
export const DEMO_ENV = {
  gatewayUrl: envVar.withDefault('GATEWAY_URL', httpUrl, 'http://127.0.0.1:3000', {
    description: 'The gateway the demo talks to as a client (bearer, and the browser session it signs in by the code flow).',
  }),
  authUrl: envVar.withDefault('AUTH_URL', httpUrl, 'http://127.0.0.1:3001', {
    description: 'Auth: registration and the bearer login (first-party, non-browser), and the admin steps (authctl keys rotate / revoke).',
  }),
  ordersUrl: envVar.withDefault('ORDERS_URL', httpUrl, 'http://127.0.0.1:3002', {
    description: 'Orders, called directly to show a revoked token is refused there too.',
  }),
  profilesUrl: envVar.withDefault('PROFILES_URL', httpUrl, 'http://127.0.0.1:3003', {
    description: 'Profiles, called directly likewise.',
  }),
  redisUrl: envVar.optional('REDIS_URL', redisUrl, {
    description:
      "The suite's Redis: the last step FLUSHALLs it and checks the revocations hold (auth re-seeds from its ledger). Unset or `memory://`: that step is skipped, saying why.",
    derivedDefault: 'unset (the flush step is skipped)',
    // It may carry passwords: never echoed.
    secret: true,
  }),
  dataDir: envVar.withDefault('AUTHMESH_DATA_DIR', z.string(), '.data', {
    description:
      "Where authctl reads the `authctl` client's secret (unless AUTHCTL_CLIENT_SECRET is set), and where a suite the demo starts itself keeps its data.",
  }),
} satisfies EnvTable;
