import { MAX_INPUT_DEPTH, findInputProblem, isAcceptableString } from './input-strings.js';

describe('the input string rule', () => {
  it.each([
    ['plain text', 'hello@example.com', true],
    ['a paired surrogate (an emoji)', 'a\u{1F600}b', true],
    ['an empty string', '', true],
    ['a NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud800b', false],
    ['a lone low surrogate at the end', 'ab\udc00', false],
    ['two high surrogates', '\ud800\ud800', false],
  ])('%s', (_name, value, ok) => {
    expect(isAcceptableString(value)).toBe(ok);
  });

  it('names the first bad field by its dotted path', () => {
    expect(findInputProblem({ email: 'ok', items: [{ sku: 'A' }, { sku: 'B\u0000' }] }, '')).toEqual({
      field: 'items.1.sku',
      problem: expect.stringContaining('NUL'),
    });
    expect(findInputProblem({ q: '\udfff' }, 'query')).toMatchObject({ field: 'query.q' });
    expect(findInputProblem('\u0000', '')).toMatchObject({ field: 'body' });
  });

  it('checks keys too', () => {
    expect(findInputProblem({ 'a\u0000': 1 }, '')).toMatchObject({ field: '"a\\u0000"', problem: expect.stringMatching(/^name /) });
  });

  it('refuses nesting deeper than the bound without recursing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findInputProblem(deep, '')).toMatchObject({ problem: `must not be nested deeper than ${MAX_INPUT_DEPTH} levels` });
    let fine: unknown = 'x';
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) fine = [fine];
    expect(findInputProblem(fine, '')).toBeUndefined();
  });

  it('accepts every other JSON value', () => {
    expect(findInputProblem({ n: 1e308, b: true, z: null, a: [1, 'two', { three: 3 }] }, '')).toBeUndefined();
  });
});
