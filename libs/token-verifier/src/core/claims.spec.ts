import { isoInstant } from './claims.js';

describe('isoInstant', () => {
  it.each([0, 1, 951_782_400, 1_800_000_000, 253_402_300_799, 1_700_000_000.9])(
    'formats %d like Date#toISOString without milliseconds',
    (s) => {
      expect(isoInstant(s)).toBe(new Date(Math.floor(s) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    },
  );
});
