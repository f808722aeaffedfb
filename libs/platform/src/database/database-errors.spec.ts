import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });
/** What TypeORM throws for a query the driver failed: the driver's error wrapped, its fields copied. */
const queryFailed = (driverError: Error): QueryFailedError => new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection (Postgres stopped)', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset socket', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['a connect that timed out', new Error('Connection terminated due to connection timeout')],
    ["the pool's wait for a connection", new Error('timeout exceeded when trying to connect')],
    ['a client whose connection already failed', new Error('Client has encountered a connection error and is not queryable')],
    ["pg's client-side query timeout", new Error('Query read timeout')],
    ['57P01 admin_shutdown (fast shutdown)', withCode('terminating connection due to administrator command', '57P01')],
    ['57P03 cannot_connect_now (starting up)', withCode('the database system is starting up', '57P03')],
    ['08006 connection_failure', withCode('connection failure', '08006')],
    ['53300 too_many_connections', withCode('sorry, too many clients already', '53300')],
    ['57014 query_canceled (our statement timeout fired)', withCode('canceling statement due to statement timeout', '57014')],
    ['a closed client', new Error('Client was closed and is not queryable')],
  ])('recognises %s', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('sees through TypeORM QueryFailedError, an Error cause and an AggregateError', () => {
    expect(isDatabaseUnavailable(queryFailed(new Error('Connection terminated unexpectedly')))).toBe(true);
    expect(isDatabaseUnavailable(queryFailed(withCode('terminating connection due to administrator command', '57P01')))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }))).toBe(true);
    const aggregate = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed');
    expect(isDatabaseUnavailable(aggregate)).toBe(true);
  });

  it.each([
    ['23505 unique_violation', queryFailed(withCode('duplicate key value violates unique constraint', '23505'))],
    ['42601 syntax_error', queryFailed(withCode('syntax error at or near "SELEC"', '42601'))],
    ['42703 undefined_column', queryFailed(withCode('column "nope" does not exist', '42703'))],
    [
      '08P01 protocol_violation (our bind-parameter bug)',
      queryFailed(withCode('bind message supplies 1 parameters, but prepared statement requires 2', '08P01')),
    ],
    ['a message that merely ends like a pg one', new Error('user input: x is not queryable')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a non-error value', 'Connection terminated unexpectedly'],
    ['null', null],
  ])('leaves %s alone: a bug stays a 500', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});
