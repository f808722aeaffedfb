/**
 * Telling "the database is away" from "this query is wrong". A stopped, restarting or unreachable
 * PostgreSQL reaches the code as one of a few shapes: a socket error from `net` (ECONNREFUSED…), a
 * message of node-postgres or its pool ("Connection terminated unexpectedly", "timeout exceeded
 * when trying to connect"), or a server error whose SQLSTATE says the server is going away
 * (57P01 admin_shutdown on a fast shutdown, 57P03 cannot_connect_now while it starts, class 08
 * connection exceptions). TypeORM wraps some of them in a QueryFailedError (`driverError`, with
 * the SQLSTATE copied onto it) and Node wraps others in an AggregateError (`errors`), so the
 * classifier walks `cause`, `driverError` and `errors`. Everything else (a constraint violation,
 * a syntax error, a missing column) is a bug or a refusal and stays what it is.
 *
 * A bare socket error is taken for the database's: Redis and HTTP clients wrap their failures in
 * typed errors of their own (RevocationStoreUnavailableError, AuthUnavailableError…) before they
 * reach the exception filter, so only the database driver lets one through unwrapped.
 */

/** Socket failures of `net`/`dns`: the server is not reachable. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs (PostgreSQL Appendix A) that mean the server can't serve us right now, whatever the
 * query: the whole class 08 is matched by prefix.
 */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: the server is stopping (fast or smart shutdown)
  '57P02', // crash_shutdown: another backend crashed, every connection is reset
  '57P03', // cannot_connect_now: the server is starting up or in recovery
  '53300', // too_many_connections: no connection slot for us
  // query_canceled: our own DB_STATEMENT_TIMEOUT_MS fired (nothing else cancels our queries), so
  // the server is too slow to answer now: an outage to wait out, not a bug.
  '57014',
]);

/** Messages node-postgres and pg-pool use for a connection that failed, died or never came. */
const UNAVAILABLE_MESSAGES: readonly RegExp[] = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout", plain "Connection terminated"
  /^timeout exceeded when trying to connect$/, // pg-pool: no connection within connectionTimeoutMillis
  /^Client (has encountered a connection error|was closed) and is not queryable$/, // a client whose connection already failed
  /^Query read timeout$/, // pg's client-side query_timeout: the server stopped answering
];

/** How deep the cause chain is followed (a cycle or a pathological chain must not loop). */
const MAX_DEPTH = 6;

/** True when `error` (or anything it wraps) says PostgreSQL is unreachable or going away. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code)) return true;
    // Class 08 — Connection Exception (08000, 08003, 08006, 08001, 08004…), except 08P01
    // protocol_violation: that one is our bug (e.g. a bind-parameter mismatch), not an outage.
    if (/^08[0-9A-Z]{3}$/.test(e.code) && e.code !== '08P01') return true;
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}
