import { type Env, EnvReader, envSchemas } from './env-reader.js';

export type AppName = 'auth' | 'orders' | 'profiles' | 'gateway';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface DatabaseConfig {
  /** Connection URL of this app's own database. */
  url: string;
  /** True when the URL was derived from a shared DATABASE_URL: the database is created if missing. */
  createIfMissing: boolean;
  poolSize: number;
  connectTimeoutMs: number;
}

export type RedisConfig = { kind: 'redis'; url: string } | { kind: 'memory' };

/** What every app's configuration has. */
export interface BaseConfig {
  app: AppName;
  port: number;
  host: string;
  logLevel: LogLevel;
  database: DatabaseConfig;
  redis: RedisConfig;
}

/** The variables every app reads, and their defaults (the README's configuration table mirrors this). */
export const DEFAULT_PORTS: Readonly<Record<AppName, number>> = { gateway: 3000, auth: 3001, orders: 3002, profiles: 3003 };

/** Name of the database an app uses on a shared DATABASE_URL server: `<db>_<app>` (`authmesh_auth`). */
export function appDatabaseUrl(sharedUrl: string, app: AppName): string {
  const u = new URL(sharedUrl);
  const base = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'authmesh';
  u.pathname = `/${base}_${app}`;
  return u.toString();
}

/** Reads the variables every app shares; app-specific ones are read by the same reader. */
export function readBaseConfig(app: AppName, reader: EnvReader, env: Env): BaseConfig {
  const appDbVar = `${app.toUpperCase()}_DATABASE_URL`;
  const pg = envSchemas.url(['postgres', 'postgresql']);
  const ownUrl = reader.maybe(appDbVar, pg);
  const sharedUrl = reader.maybe('DATABASE_URL', pg);
  let database: DatabaseConfig['url'] | undefined;
  let createIfMissing = false;
  if (ownUrl) database = ownUrl;
  else if (sharedUrl) {
    database = appDatabaseUrl(sharedUrl, app);
    createIfMissing = true;
  } else if (env[appDbVar] === undefined && env.DATABASE_URL === undefined) {
    reader.problem('DATABASE_URL', `is required (or ${appDbVar}); e.g. postgres://postgres@127.0.0.1:5432/authmesh`);
  }

  const redisUrl = reader.required(
    'REDIS_URL',
    envSchemas.url(['redis', 'rediss', 'memory']),
    'redis://host:6379, or memory:// for a single process',
  );
  return {
    app,
    port: reader.optional('PORT', envSchemas.port, String(DEFAULT_PORTS[app])),
    host: reader.optional('HOST', envSchemas.host, '127.0.0.1'),
    logLevel: reader.optional('LOG_LEVEL', envSchemas.logLevel, 'info'),
    database: {
      url: database ?? '',
      createIfMissing,
      poolSize: reader.optional('DB_POOL_SIZE', envSchemas.int(1, 100), '10'),
      connectTimeoutMs: reader.optional('DB_CONNECT_TIMEOUT_MS', envSchemas.int(100, 60000), '3000'),
    },
    redis: redisUrl?.startsWith('memory:') ? { kind: 'memory' } : { kind: 'redis', url: redisUrl ?? '' },
  };
}

/** Parses the base configuration alone (apps with no variables of their own). */
export function loadBaseConfig(app: AppName, env: Env): BaseConfig {
  const reader = new EnvReader(env);
  const config = readBaseConfig(app, reader, env);
  reader.finish(app);
  return config;
}
