import { type PrivateClientJwk, newClientKey, parsePrivateClientJwk, publicJwksOf } from '../../apps/suite/src/client-keys.js';
import { SERVICE_CLIENTS, seedFieldsOf } from '../../apps/suite/src/service-clients.js';

/** The git-ignored folder `npm run compose:init` writes and docker-compose.yml's `env_file`s read. */
export const COMPOSE_ENV_DIR = '.env.compose';

/** One env file per container that needs secrets: each gets its own and nothing else's. */
export const COMPOSE_ENV_FILES = ['postgres', 'auth', 'orders', 'profiles', 'gateway', 'authctl'] as const;
export type ComposeEnvFile = (typeof COMPOSE_ENV_FILES)[number];
export type EnvFileContents = Readonly<Record<string, string>>;

/** The administrator account auth seeds in the compose stack (its password is generated). */
export const COMPOSE_ADMIN_EMAIL = 'admin@example.com';

/**
 * Where browsers reach the compose stack's gateway (docker-compose.yml publishes it there and sets
 * GATEWAY_PUBLIC_ORIGIN to it): the gateway's code-flow redirect URI is registered at this origin.
 */
export const COMPOSE_GATEWAY_ORIGIN = 'http://127.0.0.1:3000';

/** Compose's own Redis (no password), what a first run writes into every app's env file. */
export const COMPOSE_REDIS_URL = 'redis://redis:6379';

/** The containers that read REDIS_URL (authctl only talks to auth's admin API). */
const REDIS_CLIENTS = ['auth', 'orders', 'profiles', 'gateway'] as const;

/**
 * What a value may contain so that every env-file reader takes it literally: compose expands `$`
 * and strips ` #…` comments and surrounding quotes, while `docker run --env-file` and
 * `kubectl create secret --from-env-file` strip nothing. Generated values (base64, base64url,
 * compact JSON, URLs) stay inside this set; renderEnvFile refuses anything else. `?`, `&` and `%`
 * are literal to all three, and a hand-edited REDIS_URL needs them (percent-encoded passwords,
 * `?sentinelPassword=…`); `#` is not in the set (compose reads ` #` as a comment).
 */
const LITERAL_VALUE = /^[A-Za-z0-9+/=_\-.:@,"{}[\]?&%]+$/;

/** Random bytes as a string: base64 for the KEK (its format), base64url for the rest (URL-safe). */
export type RandomSecret = (bytes: number, encoding: 'base64' | 'base64url') => string;

interface Secrets {
  postgresPassword: string;
  kek: string;
  adminPassword: string;
  proxySecret: string;
  clientSecrets: Record<string, string>;
  /** The private keys of the private_key_jwt clients (orders): only the client's own env file holds one. */
  clientKeys: Record<string, PrivateClientJwk>;
  /** Per app: a REDIS_URL an operator may have edited (a password, a Sentinel); not generated. */
  redisUrls: Partial<Record<(typeof REDIS_CLIENTS)[number], string>>;
}

/** The secrets already written, so a second run keeps them (the Postgres volume was initialised with the password). */
function existingSecrets(existing: Partial<Record<ComposeEnvFile, EnvFileContents>>): Partial<Secrets> {
  const auth = existing.auth ?? {};
  const clientSecrets: Record<string, string> = {};
  try {
    const seeded = JSON.parse(auth.AUTH_SEED_CLIENTS ?? '[]') as { clientId?: unknown; secret?: unknown }[];
    for (const c of seeded) if (typeof c.clientId === 'string' && typeof c.secret === 'string') clientSecrets[c.clientId] = c.secret;
  } catch {
    // A hand-broken file: new client secrets (auth overwrites seeded clients at its next start).
  }
  const ordersKey = parsePrivateClientJwk(existing.orders?.ORDERS_CLIENT_KEY);
  return {
    clientKeys: ordersKey ? { orders: ordersKey } : {},
    postgresPassword: existing.postgres?.POSTGRES_PASSWORD,
    kek: auth.AUTH_KEK,
    adminPassword: auth.AUTH_SEED_ADMIN_PASSWORD,
    proxySecret: auth.AUTH_PROXY_SECRET,
    clientSecrets,
    redisUrls: Object.fromEntries(REDIS_CLIENTS.flatMap((app) => (existing[app]?.REDIS_URL ? [[app, existing[app].REDIS_URL]] : []))),
  };
}

/**
 * The env files of the compose stack: the secrets of docker-compose.yml, which itself holds none.
 * Values already in `existing` are kept and only missing ones generated, so running it again
 * after `docker compose up` never changes the Postgres password the volume was created with, nor
 * the KEK that encrypts auth's signing keys (auth would refuse to start).
 */
export function composeEnvFiles(
  existing: Partial<Record<ComposeEnvFile, EnvFileContents>>,
  random: RandomSecret,
  newKey: (clientId: string) => PrivateClientJwk = newClientKey,
): Record<ComposeEnvFile, EnvFileContents> {
  const had = existingSecrets(existing);
  const keyed = SERVICE_CLIENTS.filter((c) => c.tokenEndpointAuthMethod === 'private_key_jwt');
  const s: Secrets = {
    postgresPassword: had.postgresPassword ?? random(24, 'base64url'),
    kek: had.kek ?? random(32, 'base64'),
    adminPassword: had.adminPassword ?? random(18, 'base64url'),
    proxySecret: had.proxySecret ?? random(32, 'base64url'),
    clientSecrets: Object.fromEntries(
      SERVICE_CLIENTS.filter((c) => c.tokenEndpointAuthMethod === undefined).map((c) => [
        c.clientId,
        had.clientSecrets?.[c.clientId] ?? random(32, 'base64url'),
      ]),
    ),
    clientKeys: Object.fromEntries(keyed.map((c) => [c.clientId, had.clientKeys?.[c.clientId] ?? newKey(c.clientId)])),
    redisUrls: had.redisUrls ?? {},
  };
  // REDIS_URL is a secret (it may carry passwords), so it lives here and not in docker-compose.yml.
  // Each file keeps its own value on a second run: a run never re-points a service at another Redis.
  const redisUrl = (app: (typeof REDIS_CLIENTS)[number]) => s.redisUrls[app] ?? COMPOSE_REDIS_URL;
  // One shared server, each app its own database on it (`authmesh_<app>`, created at first start).
  const databaseUrl = `postgres://postgres:${s.postgresPassword}@postgres:5432/authmesh`;
  // A private_key_jwt client (orders) is seeded with its PUBLIC keys and no secret: auth's env file
  // holds nothing that lets anyone act as orders.
  const seedClients = JSON.stringify(
    SERVICE_CLIENTS.map((client) => {
      const c = seedFieldsOf(client, COMPOSE_GATEWAY_ORIGIN);
      return client.tokenEndpointAuthMethod === 'private_key_jwt'
        ? { ...c, jwks: publicJwksOf(s.clientKeys[c.clientId]!) }
        : { ...c, secret: s.clientSecrets[c.clientId] };
    }),
  );
  return {
    postgres: { POSTGRES_PASSWORD: s.postgresPassword },
    auth: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl('auth'),
      AUTH_KEK: s.kek,
      AUTH_SEED_CLIENTS: seedClients,
      AUTH_SEED_ADMIN_EMAIL: COMPOSE_ADMIN_EMAIL,
      AUTH_SEED_ADMIN_PASSWORD: s.adminPassword,
      AUTH_PROXY_SECRET: s.proxySecret,
    },
    orders: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl('orders'), ORDERS_CLIENT_KEY: JSON.stringify(s.clientKeys.orders!) },
    profiles: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl('profiles') },
    gateway: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl('gateway'),
      GATEWAY_CLIENT_SECRET: s.clientSecrets.gateway!,
      GATEWAY_PROXY_SECRET: s.proxySecret,
    },
    authctl: { AUTHCTL_CLIENT_SECRET: s.clientSecrets.authctl! },
  };
}

/** `KEY=value` lines, unquoted (see LITERAL_VALUE for why that is safe and what is refused). */
export function renderEnvFile(contents: EnvFileContents): string {
  const lines = ['# Written by `npm run compose:init`: secrets of the compose stack. Never commit or bake into an image.'];
  for (const [key, value] of Object.entries(contents)) {
    if (!LITERAL_VALUE.test(value)) throw new Error(`${key}: its value has a character an env-file reader would not take literally`);
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads what renderEnvFile wrote (comments and blank lines skipped). */
export function parseEnvFile(text: string): EnvFileContents {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq > 0) out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}
