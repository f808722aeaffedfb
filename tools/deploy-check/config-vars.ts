import { BASE_ENV, type EnvTable } from '@authmesh/platform';
import { REVOCATION_ENV } from '@authmesh/revocation';
import { VERIFIER_ENV } from '@authmesh/token-verifier';
import { AUTH_ENV } from '../../apps/auth/src/config/auth.config.js';
import { AUTHCTL_ENV } from '../../apps/authctl/src/config/authctl.config.js';
import { GATEWAY_ENV } from '../../apps/gateway/src/config/gateway.config.js';
import { ORDERS_ENV } from '../../apps/orders/src/profiles-client/profiles-client.config.js';
import { PROFILES_ENV } from '../../apps/profiles/src/profiles/profiles.config.js';

export const APPS = ['auth', 'orders', 'profiles', 'gateway'] as const;
export type DeployedApp = (typeof APPS)[number] | 'authctl';

const TABLES: Record<DeployedApp, readonly EnvTable[]> = {
  auth: [BASE_ENV, REVOCATION_ENV, AUTH_ENV],
  orders: [BASE_ENV, REVOCATION_ENV, VERIFIER_ENV, ORDERS_ENV],
  profiles: [BASE_ENV, REVOCATION_ENV, VERIFIER_ENV, PROFILES_ENV],
  gateway: [BASE_ENV, REVOCATION_ENV, VERIFIER_ENV, GATEWAY_ENV],
  authctl: [AUTHCTL_ENV],
};

/**
 * Variables a deployment must set although the tables do not call them required: one of
 * DATABASE_URL / <APP>_DATABASE_URL (the tables can only say "required unless"), auth's issuer
 * (its default is a loopback URL no other container can reach), the gateway's client secret (it
 * exchanges tokens on every route unless told otherwise) and authctl's secret (its default is a
 * file only `npm start` writes).
 */
const ALSO_REQUIRED: Record<DeployedApp, readonly string[]> = {
  auth: ['DATABASE_URL', 'AUTH_ISSUER'],
  orders: ['DATABASE_URL'],
  profiles: ['DATABASE_URL'],
  gateway: ['DATABASE_URL', 'GATEWAY_CLIENT_SECRET'],
  authctl: ['AUTHCTL_CLIENT_SECRET', 'AUTH_URL'],
};

/** What each app refuses to start without, read from its configuration tables. */
export function requiredVariables(app: DeployedApp): string[] {
  const required = TABLES[app].flatMap((t) =>
    Object.values(t)
      .filter((v) => v.kind === 'required')
      .map((v) => v.name),
  );
  return [...new Set([...required, ...ALSO_REQUIRED[app]])].sort();
}

/**
 * Every variable that holds a secret (the tables' `secret: true`, `<APP>_` expanded), plus the
 * Postgres image's password: none of them may appear by value in a manifest or the compose file.
 */
export function secretVariables(): Set<string> {
  const names = new Set<string>(['POSTGRES_PASSWORD']);
  for (const tables of Object.values(TABLES)) {
    for (const table of tables) {
      for (const v of Object.values(table)) {
        if (!v.secret) continue;
        if (v.name.startsWith('<APP>_')) for (const app of APPS) names.add(v.name.replace('<APP>', app.toUpperCase()));
        else names.add(v.name);
      }
    }
  }
  return names;
}
