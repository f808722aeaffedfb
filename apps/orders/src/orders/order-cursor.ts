import { RequestValidationError } from '@authmesh/platform';

/** Position after the last order of a page: the keyset (created_at, id) of newest-first order. */
export interface OrderCursor {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeOrderCursor(c: OrderCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.getTime(), c.id]), 'utf8').toString('base64url');
}

/** Opaque to clients; anything we did not hand out is a 400 naming `cursor`. */
export function decodeOrderCursor(cursor: string): OrderCursor {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    // A safe integer can still be outside Date's range (Invalid Date would reach Postgres as a 500).
    const createdAt = new Date(ms as number);
    if (Number.isSafeInteger(ms) && !Number.isNaN(createdAt.getTime()) && typeof id === 'string' && UUID.test(id)) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new RequestValidationError([{ field: 'cursor', problems: ['cursor is not one this API returned'] }]);
}

export const isUuid = (v: string): boolean => UUID.test(v);
