import type { IncomingMessage } from 'node:http';
import { requestIdFor } from './request-id.js';

const req = (id?: string): IncomingMessage => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as IncomingMessage;

describe('requestIdFor', () => {
  it('keeps an acceptable incoming x-request-id', () => {
    expect(requestIdFor(req('abc-123_x.y:z'))).toBe('abc-123_x.y:z');
  });

  it('generates a UUID when none is sent', () => {
    expect(requestIdFor(req())).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('replaces an id that could inject log lines or is too long', () => {
    expect(requestIdFor(req('a\nb'))).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFor(req('x'.repeat(129)))).toMatch(/^[0-9a-f-]{36}$/);
  });
});
