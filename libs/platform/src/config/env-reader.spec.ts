import { z } from 'zod';
import { ConfigError } from './config.error.js';
import { EnvReader, type EnvTable, envSchemas, envVar } from './env-reader.js';

const TABLE = {
  url: envVar.required('THING_URL', envSchemas.url(['http']), { description: 'x', hint: 'e.g. http://thing' }),
  timeoutMs: envVar.withDefault('THING_TIMEOUT_MS', envSchemas.int(1, 10), '5', { description: 'x' }),
  token: envVar.optional('THING_PASSPHRASE', z.string().min(8, 'must be at least 8 characters'), { description: 'x', secret: true }),
} satisfies EnvTable;

function problemsOf(run: (reader: EnvReader) => void, env: Record<string, string>): readonly string[] {
  const reader = new EnvReader(env);
  try {
    run(reader);
    reader.finish('thing');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('EnvReader', () => {
  it('parses a table: defaults for unset variables, undefined for an unset optional one, blanks count as unset', () => {
    const reader = new EnvReader({ THING_URL: ' http://thing ', THING_TIMEOUT_MS: '  ' });
    const values = reader.read(TABLE);
    expect(reader.finish('thing', { values }).values).toEqual({ url: 'http://thing', timeoutMs: 5, token: undefined });
  });

  it('answers undefined for a table with a problem instead of a value it does not have, and finish throws every problem', () => {
    const reader = new EnvReader({ THING_TIMEOUT_MS: '11' });
    const values = reader.read(TABLE);
    expect(values).toBeUndefined();
    expect(() => reader.finish('thing', { values })).toThrow(ConfigError);
    expect(problemsOf((r) => r.read(TABLE), { THING_TIMEOUT_MS: '11' })).toEqual([
      'THING_URL: is required (e.g. http://thing)',
      'THING_TIMEOUT_MS: must be an integer between 1 and 10 (got "11")',
    ]);
  });

  it('never echoes the value of a secret variable', () => {
    expect(problemsOf((r) => r.read(TABLE), { THING_URL: 'http://thing', THING_PASSPHRASE: 'short' })).toEqual([
      'THING_PASSPHRASE: must be at least 8 characters',
    ]);
  });

  it('takes a derived default as a spread of the declaration, parsed by the same schema', () => {
    const reader = new EnvReader({});
    const derived = reader.read({ timeoutMs: { ...TABLE.timeoutMs, default: '12' } });
    expect(derived).toBeUndefined();
    expect(() => reader.finish('thing')).toThrow(/THING_TIMEOUT_MS: must be an integer between 1 and 10/);
  });

  it('refuses to hand back a missing part when no problem explains it (a bug in a config reader)', () => {
    expect(() => new EnvReader({}).finish('thing', { part: undefined })).toThrow(/missing without a problem/);
  });
});
