import { Writable } from 'node:stream';
import { appScope } from '../bootstrap/app-scope.js';
import { createAppLogger, resolveLogFormat } from './app-logger.js';
import { ScopedNestLogger } from './nest-logger.js';

/** A destination that keeps parsed lines. */
function sink(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

const config = (app: 'auth' | 'orders') => ({ app, logLevel: 'info' as const, logFormat: 'json' as const });

describe('app logger', () => {
  it('is pretty on a terminal and JSON otherwise under LOG_FORMAT=auto; an explicit format wins', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('blanks secrets wherever a logged object carries them', () => {
    const { lines, stream } = sink();
    const logger = createAppLogger(config('auth'), { destination: stream });
    logger.info(
      { body: { password: 'hunter2', client_secret: 's3cret', refresh_token: 'rt' }, req: { headers: { authorization: 'Bearer x' } } },
      'oops',
    );
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|s3cret|"rt"|Bearer x/);
    expect(lines[0]).toMatchObject({ name: 'auth', body: { password: '[redacted]' } });
  });

  it("sends Nest's shared logger to the app whose scope the call runs in", () => {
    const a = sink();
    const o = sink();
    const auth = createAppLogger(config('auth'), { destination: a.stream });
    const orders = createAppLogger(config('orders'), { destination: o.stream });
    // As `app.useLogger` leaves it: one process-wide instance, the last app's fallback.
    const nest = new ScopedNestLogger(orders);
    appScope.run({ app: 'auth', logger: auth, tracerProvider: undefined }, () => nest.warn('from auth', 'Seeder'));
    appScope.run({ app: 'orders', logger: orders, tracerProvider: undefined }, () => nest.log('from orders', 'ProfilesClient'));
    expect(a.lines).toEqual([expect.objectContaining({ name: 'auth', msg: 'from auth', context: 'Seeder', level: 40 })]);
    expect(o.lines).toEqual([expect.objectContaining({ name: 'orders', msg: 'from orders', context: 'ProfilesClient', level: 30 })]);
  });
});
