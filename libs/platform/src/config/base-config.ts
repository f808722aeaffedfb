import { isIP } from 'node:net';
import { z } from 'zod';
import { REDIS_URL_FORMS, type RedisConfig, parseRedisUrl } from '../redis/redis-url.js';
import { type Env, EnvReader, type EnvTable, envSchemas, envVar } from './env-reader.js';

export type AppName = 'auth' | 'orders' | 'profiles' | 'gateway';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** LOG_FORMAT: `auto` is `pretty` when stdout is a terminal, `json` otherwise (a file, a pipe, a container's log driver). */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * OpenTelemetry tracing (libs/platform/src/tracing). Off when `endpoint` is undefined: no SDK is
 * started and the API's no-op tracer costs nothing on the request path.
 */
export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces` (OTLP/HTTP, JSON). */
  endpoint: string | undefined;
  /** OTEL_TRACES_SAMPLER_ARG: the share of new traces recorded (0-1); a sampled parent is always followed. */
  sampleRatio: number;
  /** OTEL_BSP_SCHEDULE_DELAY: how long finished spans wait to be sent in one batch (ms). */
  scheduledDelayMs: number;
}

export interface DatabaseConfig {
  /** Connection URL of this app's own database. */
  url: string;
  /** True when the URL was derived from a shared DATABASE_URL: the database is created if missing. */
  createIfMissing: boolean;
  poolSize: number;
  connectTimeoutMs: number;
  /** DB_STATEMENT_TIMEOUT_MS: the server cancels a statement running longer (PostgreSQL `statement_timeout`). */
  statementTimeoutMs: number;
}

export type { RedisConfig } from '../redis/redis-url.js';

/**
 * TRUST_PROXY, exactly what Fastify's `trustProxy` accepts: `false` (trust nothing: `request.ip` is
 * the peer), `true` (trust every hop: only behind a proxy that overwrites X-Forwarded-For), a hop
 * count, or addresses/CIDRs (and proxy-addr's names `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = boolean | number | string[];

/**
 * The management listener (MANAGEMENT_PORT, MANAGEMENT_HOST): a second socket carrying /metrics
 * and /health/*, as Spring Boot's `management.server.port` or Envoy's admin listener. The main
 * port never answers /metrics or /health/ready: they expose memory, revocation counts and JWKS
 * state, and the gateway's main port is the public one.
 */
export interface ManagementConfig {
  /** 0 = any free port (tests); `RunningApp.managementUrl` says which. */
  port: number;
  /** Default 127.0.0.1: reachable from the host (probes, a local Prometheus), not from the network. */
  host: string;
}

/** What every app's configuration has. */
export interface BaseConfig {
  app: AppName;
  port: number;
  host: string;
  management: ManagementConfig;
  logLevel: LogLevel;
  logFormat: LogFormat;
  tracing: TracingConfig;
  database: DatabaseConfig;
  redis: RedisConfig;
  /** TRUST_PROXY (default: trust nothing). Rate limits key on `request.ip`, which this decides. */
  trustProxy: TrustProxy;
}

/** The main port of each app when PORT is unset. */
export const DEFAULT_PORTS: Readonly<Record<AppName, number>> = { gateway: 3000, auth: 3001, orders: 3002, profiles: 3003 };

/** Default MANAGEMENT_PORT per app: its main port + 100, so `npm start`'s four apps do not collide. */
export const DEFAULT_MANAGEMENT_PORTS: Readonly<Record<AppName, number>> = { gateway: 3100, auth: 3101, orders: 3102, profiles: 3103 };

/** Name of the database an app uses on a shared DATABASE_URL server: `<db>_<app>` (`authmesh_auth`). */
export function appDatabaseUrl(sharedUrl: string, app: AppName): string {
  const u = new URL(sharedUrl);
  const base = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'authmesh';
  u.pathname = `/${base}_${app}`;
  return u.toString();
}

const PROXY_ADDR_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** One TRUST_PROXY entry: an IPv4/IPv6 address, optionally with a /prefix, or a proxy-addr name. */
function isTrustedProxyEntry(entry: string): boolean {
  if (PROXY_ADDR_NAMES.includes(entry)) return true;
  const [address, bits, extra] = entry.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

const trustProxySchema = z.string().transform((v, ctx): TrustProxy => {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d{1,3}$/.test(v)) return Number(v);
  const entries = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0 || !entries.every(isTrustedProxyEntry)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be true, false, a hop count, or a comma-separated list of addresses/CIDRs (e.g. 10.0.0.0/8,127.0.0.1)',
    });
    return z.NEVER;
  }
  return entries;
});

const postgresUrl = envSchemas.url(['postgres', 'postgresql']);

/** REDIS_URL: one of the forms `parseRedisUrl` documents; a bad one stops start-up saying what is wrong. */
const redisUrlSchema = z.string().transform((v, ctx): RedisConfig => {
  const parsed = parseRedisUrl(v);
  if (parsed.ok) return parsed.config;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

/**
 * The variables every app reads, declared once (`docs/configuration.md` is generated from this).
 * Order matters: problems are reported in it.
 */
export const BASE_ENV = {
  appDatabaseUrl: envVar.optional('<APP>_DATABASE_URL', postgresUrl, {
    description: "This app's own database (e.g. AUTH_DATABASE_URL), used as is: nothing is created. Wins over DATABASE_URL.",
    derivedDefault: 'DATABASE_URL with the database `<db>_<app>`',
    secret: true,
  }),
  databaseUrl: envVar.optional('DATABASE_URL', postgresUrl, {
    description:
      'A shared PostgreSQL server; each app uses (and creates if missing) the database `<db>_<app>` on it, e.g. `authmesh_auth`. Required unless `<APP>_DATABASE_URL` is set.',
    secret: true,
  }),
  redisUrl: envVar.required('REDIS_URL', redisUrlSchema, {
    description:
      'Redis (revocation blocklist, sessions, rate limits, key announcements): one server (`redis://`, `rediss://`), Sentinel (`redis+sentinel://host:port,…/<masterName>`), Cluster (`redis+cluster://host:port,…`), or `memory://` only when every app runs in one process. Every form, with credentials and TLS: docs/operations.md, "Redis topologies".',
    hint: REDIS_URL_FORMS,
    // It may carry the data nodes' and the sentinels' passwords: a parse problem never echoes it.
    secret: true,
  }),
  port: envVar.optional('PORT', envSchemas.port, {
    description: 'The main HTTP port (0: any free port).',
    derivedDefault: 'gateway 3000, auth 3001, orders 3002, profiles 3003',
  }),
  managementPort: envVar.optional('MANAGEMENT_PORT', envSchemas.port, {
    description: 'The management listener (/metrics, /health/*); must differ from PORT (0: any free port).',
    derivedDefault: 'PORT default + 100 (gateway 3100, auth 3101, orders 3102, profiles 3103)',
  }),
  host: envVar.withDefault('HOST', envSchemas.host, '127.0.0.1', { description: 'Address the main port listens on.' }),
  managementHost: envVar.withDefault('MANAGEMENT_HOST', envSchemas.host, '127.0.0.1', {
    description: 'Address the management listener listens on: reachable from the host (probes, Prometheus), not from the network.',
  }),
  logLevel: envVar.withDefault('LOG_LEVEL', envSchemas.logLevel, 'info', {
    description: 'One of fatal, error, warn, info, debug, trace, silent.',
  }),
  logFormat: envVar.withDefault('LOG_FORMAT', z.enum(['auto', 'json', 'pretty'], 'must be auto, json or pretty'), 'auto', {
    description:
      'Log lines as JSON (`json`), coloured and readable (`pretty`, pino-pretty), or `auto`: pretty when stdout is a terminal, JSON otherwise.',
  }),
  otlpEndpoint: envVar.optional('OTEL_EXPORTER_OTLP_ENDPOINT', envSchemas.url(['http', 'https']), {
    description:
      'An OpenTelemetry collector (OTLP/HTTP, e.g. http://otel-collector:4318): traces are sent to `<url>/v1/traces`. Unset: tracing is off and costs nothing.',
    derivedDefault: 'unset (tracing off)',
  }),
  traceSampleRatio: envVar.withDefault('OTEL_TRACES_SAMPLER_ARG', z.coerce.number().min(0).max(1), '1', {
    description: 'Share of new traces recorded (0-1) when tracing is on; a request whose caller sampled its trace is always recorded.',
  }),
  traceBatchDelayMs: envVar.withDefault('OTEL_BSP_SCHEDULE_DELAY', envSchemas.int(10, 60000), '5000', {
    description: 'How long finished spans wait before being sent in one batch (10-60000 ms).',
  }),
  dbPoolSize: envVar.withDefault('DB_POOL_SIZE', envSchemas.int(1, 100), '10', { description: 'PostgreSQL connections per app (1-100).' }),
  dbConnectTimeoutMs: envVar.withDefault('DB_CONNECT_TIMEOUT_MS', envSchemas.int(100, 60000), '3000', {
    description: 'Bound on opening a PostgreSQL connection (100-60000 ms).',
  }),
  dbStatementTimeoutMs: envVar.withDefault('DB_STATEMENT_TIMEOUT_MS', envSchemas.int(100, 600000), '10000', {
    description:
      'Bound on one SQL statement (100-600000 ms): the server cancels it; the client gives up 5 s later if the server stopped answering. Either way the request answers 503 `database_unavailable`.',
  }),
  trustProxy: envVar.withDefault('TRUST_PROXY', trustProxySchema, 'false', {
    description:
      'Which proxies may set X-Forwarded-For (rate limits key on the client address it decides): false, true, a hop count, or addresses/CIDRs (and loopback, linklocal, uniquelocal).',
  }),
} satisfies EnvTable;

/**
 * Reads the variables every app shares; app-specific ones are read by the same reader.
 * `undefined` when one of them has a problem (recorded in the reader).
 */
export function readBaseConfig(app: AppName, reader: EnvReader, env: Env): BaseConfig | undefined {
  const appDbVar = `${app.toUpperCase()}_DATABASE_URL`;
  if (env[appDbVar] === undefined && env.DATABASE_URL === undefined) {
    reader.problem('DATABASE_URL', `is required (or ${appDbVar}); e.g. postgres://postgres@127.0.0.1:5432/authmesh`);
  }
  const v = reader.read({
    ...BASE_ENV,
    appDatabaseUrl: { ...BASE_ENV.appDatabaseUrl, name: appDbVar },
  });
  if (v === undefined) return undefined;
  const port = v.port ?? DEFAULT_PORTS[app];
  const managementPort = v.managementPort ?? DEFAULT_MANAGEMENT_PORTS[app];
  if (managementPort !== 0 && managementPort === port) {
    reader.problem('MANAGEMENT_PORT', `must differ from PORT (${port}): the management listener is a socket of its own`);
  }
  const sharedUrl = v.databaseUrl;
  return {
    app,
    port,
    host: v.host,
    management: { port: managementPort, host: v.managementHost },
    logLevel: v.logLevel,
    logFormat: v.logFormat,
    tracing: { endpoint: v.otlpEndpoint, sampleRatio: v.traceSampleRatio, scheduledDelayMs: v.traceBatchDelayMs },
    database: {
      // Only blank variables leave no URL; then DATABASE_URL's presence rule above did not fire and
      // the connection fails at start-up naming the empty URL, as before.
      url: v.appDatabaseUrl ?? (sharedUrl === undefined ? '' : appDatabaseUrl(sharedUrl, app)),
      createIfMissing: v.appDatabaseUrl === undefined && sharedUrl !== undefined,
      poolSize: v.dbPoolSize,
      connectTimeoutMs: v.dbConnectTimeoutMs,
      statementTimeoutMs: v.dbStatementTimeoutMs,
    },
    redis: v.redisUrl,
    trustProxy: v.trustProxy,
  };
}

/** Parses the base configuration alone (apps with no variables of their own). */
export function loadBaseConfig(app: AppName, env: Env): BaseConfig {
  const reader = new EnvReader(env);
  const config = readBaseConfig(app, reader, env);
  return reader.finish(app, { config }).config;
}
