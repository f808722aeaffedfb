import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import type { DatabaseConfig } from '../config/base-config.js';

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
 * TypeORM options every app uses: migrations run at start, never `synchronize` outside tests,
 * and short connect/statement timeouts so an outage answers 503 quickly instead of hanging.
 */
export function typeOrmOptions(db: DatabaseConfig, options: DatabaseOptions): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url: db.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsRun: true,
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
