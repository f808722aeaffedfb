import { HttpException, NotFoundException } from '@nestjs/common';
import { DependencyUnavailableError, RequestValidationError, TooManyRequestsError } from './app-error.js';
import { renderError, toRfc6749 } from './all-exceptions.filter.js';

const logged: string[] = [];
const logger = { error: (m: unknown) => void logged.push(String(m)), warn: (m: unknown) => void logged.push(String(m)) };

describe('renderError', () => {
  beforeEach(() => (logged.length = 0));

  it('renders an AppError with its code, headers and public details', () => {
    const r = renderError(new RequestValidationError([{ field: 'items.0.sku', problems: ['sku should not be empty'] }]), 'r1', logger);
    expect(r).toEqual({
      status: 400,
      headers: {},
      body: {
        code: 'validation_failed',
        message: 'Invalid request: items.0.sku',
        requestId: 'r1',
        details: { fields: [{ field: 'items.0.sku', problems: ['sku should not be empty'] }] },
      },
    });
  });

  it('answers a dependency outage with 503 and Retry-After', () => {
    const r = renderError(new DependencyUnavailableError('profiles is unavailable', { retryAfterSeconds: 7 }), 'r2', logger);
    expect(r.status).toBe(503);
    expect(r.headers).toEqual({ 'retry-after': '7' });
  });

  it('answers a database outage (Postgres stopped) with 503 database_unavailable and Retry-After, not a 500', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const r = renderError(refused, 'r2b', logger);
    expect(r).toEqual({
      status: 503,
      headers: { 'retry-after': '5' },
      body: { code: 'database_unavailable', message: 'The database is unavailable; try again later', requestId: 'r2b' },
    });
    expect(logged.join()).toContain('ECONNREFUSED');
  });

  it('keeps a constraint violation a 500: a bug is not an outage', () => {
    const bug = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    expect(renderError(bug, 'r2c', logger)).toMatchObject({ status: 500, body: { code: 'internal_error' } });
  });

  it('maps Nest HTTP exceptions to a stable code', () => {
    expect(renderError(new NotFoundException('Cannot GET /x'), 'r3', logger).body).toEqual({
      code: 'not_found',
      message: 'Cannot GET /x',
      requestId: 'r3',
    });
  });

  it('hides unknown errors behind a generic 500 and logs them', () => {
    const r = renderError(new Error('secret db password in message'), 'r4', logger);
    expect(r).toEqual({ status: 500, headers: {}, body: { code: 'internal_error', message: 'Internal server error', requestId: 'r4' } });
    expect(logged.join()).toContain('secret db password');
  });

  it('never exposes the message of a 5xx HttpException', () => {
    expect(renderError(new HttpException('stack-ish detail', 502), 'r5', logger).body).toMatchObject({ message: 'Internal server error' });
  });

  it('keeps the status of a Fastify client error (bad JSON, body too large)', () => {
    const fst = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    expect(renderError(fst, 'r6', logger)).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it("answers Fastify's FST_ERR_BAD_URL (an undecodable path) as 400 bad_url in the platform shape", () => {
    const fst = Object.assign(new Error("'/orders/%ff' is not a valid url component"), { statusCode: 400, code: 'FST_ERR_BAD_URL' });
    expect(renderError(fst, 'r7', logger)).toEqual({
      status: 400,
      headers: {},
      body: { code: 'bad_url', message: expect.stringContaining('percent-encoding'), requestId: 'r7' },
    });
  });
});

describe('toRfc6749', () => {
  it('answers a rate limit as temporarily_unavailable, keeping 429 and Retry-After', () => {
    const r = toRfc6749(renderError(new TooManyRequestsError(12), 'r8', logger));
    expect(r).toEqual({
      status: 429,
      headers: { 'retry-after': '12', 'cache-control': 'no-store', pragma: 'no-cache' },
      body: { error: 'temporarily_unavailable', error_description: 'Too many requests; try again later' },
    });
  });

  it('answers a database outage as temporarily_unavailable, keeping 503 and Retry-After', () => {
    const cut = new Error('Connection terminated unexpectedly');
    expect(toRfc6749(renderError(cut, 'r8b', logger))).toEqual({
      status: 503,
      headers: { 'retry-after': '5', 'cache-control': 'no-store', pragma: 'no-cache' },
      body: { error: 'temporarily_unavailable', error_description: 'The database is unavailable; try again later' },
    });
  });

  it('answers every other 4xx as invalid_request, with the fields in the description', () => {
    const r = toRfc6749(renderError(new RequestValidationError([{ field: 'query.a', problems: ['query.a is bad'] }]), 'r9', logger));
    expect(r.body).toEqual({ error: 'invalid_request', error_description: 'query.a is bad' });
  });
});
