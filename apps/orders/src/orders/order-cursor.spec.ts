import { RequestValidationError } from '@authmesh/platform';
import { decodeOrderCursor, encodeOrderCursor } from './order-cursor.js';

describe('order cursor', () => {
  const id = '7d0c4b1e-2f4a-4c1e-9a7b-1e2d3c4b5a69';

  it('round-trips a cursor it handed out', () => {
    const createdAt = new Date('2026-11-25T12:00:00.000Z');
    expect(decodeOrderCursor(encodeOrderCursor({ createdAt, id }))).toEqual({ createdAt, id });
  });

  it('answers 400 naming cursor for a timestamp outside the Date range (it would reach Postgres as NaN)', () => {
    const crafted = Buffer.from(JSON.stringify([Number.MAX_SAFE_INTEGER, id])).toString('base64url');
    expect(() => decodeOrderCursor(crafted)).toThrow(RequestValidationError);
  });
});
