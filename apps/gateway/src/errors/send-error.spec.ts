import { routeConfigOf } from '@authmesh/platform';
import type { FastifyRequest } from 'fastify';
import { RateLimitedError } from './gateway-errors.js';
import { type ReplyLike, sendError } from './send-error.js';

class FakeReply implements ReplyLike<FakeReply> {
  status = 0;
  sent: unknown;
  readonly headerValues: Record<string, string> = {};
  code(status: number): this {
    this.status = status;
    return this;
  }
  headers(values: Record<string, string>): this {
    Object.assign(this.headerValues, values);
    return this;
  }
  send(body: unknown): this {
    this.sent = body;
    return this;
  }
}

const requestWith = (config: Record<string, unknown>): Pick<FastifyRequest, 'id' | 'routeOptions'> =>
  ({ id: 'req-1', routeOptions: { config } }) as unknown as Pick<FastifyRequest, 'id' | 'routeOptions'>;

describe('sendError', () => {
  it('answers in the platform shape by default', () => {
    const reply = sendError(requestWith({}), new FakeReply(), new RateLimitedError(3));
    expect({ status: reply.status, body: reply.sent, retryAfter: reply.headerValues['retry-after'] }).toEqual({
      status: 429,
      body: { code: 'rate_limited', message: expect.any(String), requestId: 'req-1' },
      retryAfter: '3',
    });
  });

  it('answers in RFC 6749 §5.2 form on a route that declares it (the proxied /oauth/*)', () => {
    const reply = sendError(requestWith(routeConfigOf({ errorStyle: 'rfc6749' })), new FakeReply(), new RateLimitedError(3));
    expect({ status: reply.status, body: reply.sent }).toEqual({
      status: 429,
      body: { error: 'temporarily_unavailable', error_description: expect.any(String) },
    });
    expect(reply.headerValues).toMatchObject({ 'retry-after': '3', 'cache-control': 'no-store' });
  });
});
