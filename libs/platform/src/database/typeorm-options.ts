import { Logger } from '@nestjs/common';
import type { TypeOrmModuleAsyncOptions, TypeOrmModuleOptions } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions, type MixedList } from 'typeorm';
import type { DatabaseConfig } from '../config/base-config.js';
import { isDatabaseUnavailable } from './database-errors.js';
import { MigrationLockTimeoutError, runMigrationsUnderLock } from './migrate-under-lock.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type ClassList = MixedList<Function | string>;

/** How long after the server's statement_timeout the client stops waiting for its answer. */
const QUERY_TIMEOUT_MARGIN_MS = 5000;

export interface DatabaseOptions {
  entities: ClassList;
  migrations: ClassList;
  /** Tests may build the schema with synchronize; running apps always use migrations. */
  synchronize?: boolean;
}

/**
 * TypeORM options every app uses: never `synchronize` outside tests, and short connect/statement
 * timeouts so an outage answers 503 quickly instead of hanging. `migrationsRun` is off: TypeORM
 * would run them without a lock; `typeOrmModuleOptions` runs them under one after connecting.
 */
export function typeOrmOptions(db: DatabaseConfig, options: DatabaseOptions): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url: db.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: options.synchronize ?? false,
    // gen_random_uuid() is core since PG 13; 'pgcrypto' also works on PGlite (embedded mode).
    uuidExtension: 'pgcrypto',
    retryAttempts: 5,
    retryDelay: 1000,
    // Query errors reach the caller as exceptions (and the filter logs the unexpected ones); logging
    // them here too would print expected ones, like a unique violation turned into a 409.
    logging: ['migration'],
    extra: {
      max: db.poolSize,
      connectionTimeoutMillis: db.connectTimeoutMs,
      statement_timeout: db.statementTimeoutMs,
      // Client-side backstop for a server that stopped answering (a partition: no RST, no FIN), which
      // statement_timeout can't cover; past it pg fails the query with "Query read timeout" (a 503).
      query_timeout: db.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
      idleTimeoutMillis: 30_000,
    },
  };
}

/**
 * `TypeOrmModule.forRootAsync` options: the data source connects (retried, as TypeORM does, for a
 * database still starting), then runs the pending migrations under the migration advisory lock
 * (migrate-under-lock.ts), then synchronizes if a test asked for it, in TypeORM's own order. The
 * app's providers get the data source only after that, so nothing queries a half-migrated schema.
 */
export function typeOrmModuleOptions(db: DatabaseConfig, options: DatabaseOptions): TypeOrmModuleAsyncOptions {
  const base = typeOrmOptions(db, options);
  const logger = new Logger('Migrations');
  return {
    // Retry what TypeORM's retry is for, a database not reachable yet (still starting, failing
    // over). Anything else stops the start at once with its own error: a failed migration (a
    // second attempt would run the rest of a half-applied sequence), a refused login, or a lock
    // held past the wait (another instance still migrating: waiting again would only spend the
    // orchestrator's start-up budget).
    useFactory: () => ({ ...base, toRetry: (e: unknown) => !(e instanceof MigrationLockTimeoutError) && isDatabaseUnavailable(e) }),
    dataSourceFactory: async (dsOptions?: DataSourceOptions) => {
      const dataSource = new DataSource({ ...(dsOptions ?? (base as DataSourceOptions)), migrationsRun: false, synchronize: false });
      await dataSource.initialize();
      try {
        const ran = await runMigrationsUnderLock(dataSource, {
          url: db.url,
          connectTimeoutMs: db.connectTimeoutMs,
          log: (m) => logger.log(m),
        });
        if (ran.length > 0) logger.log(`ran ${ran.length} migration(s): ${ran.map((m) => m.name).join(', ')}`);
        if (options.synchronize) await dataSource.synchronize();
      } catch (e) {
        // The retry builds a new data source: this one's pool must not stay open behind it.
        await dataSource.destroy().catch(() => undefined);
        throw e;
      }
      return dataSource;
    },
  };
}
