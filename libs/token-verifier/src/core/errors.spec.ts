import * as errors from './errors.js';

type ErrorClass = (new (detail?: string) => errors.TokenVerificationError) & { code: string };
const classes = (Object.values(errors) as unknown[]).filter(
  (v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof errors.TokenVerificationError,
);

describe('token errors', () => {
  it('has one class per code in the design', () => {
    const codes = new Set(classes.map((c) => c.code));
    expect([...codes].sort()).toEqual([...errors.TOKEN_ERROR_CODES].sort());
    expect(codes.size).toBe(14);
  });

  it.each(classes.map((c) => [c.name, c] as const))('%s has a static and instance code and a fixed public message', (_name, Type) => {
    const e = new Type('secret detail: kid "x"');
    expect(e.code).toBe(Type.code);
    expect(e.message).not.toContain('secret');
    expect(e.detail).toBe('secret detail: kid "x"');
    // RFC 6750 §3: error_description may not contain a double quote or backslash.
    expect(e.message).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/);
  });
});
