import { upstreamUrlOf } from './edge-access.js';

describe('upstreamUrlOf (the htu of the gateway proof)', () => {
  const route = { prefix: '/api/orders', rewritePrefix: '/orders', upstream: 'http://orders:3002' };

  it('rewrites the prefix as the proxy does, on the upstream origin, without the query', () => {
    expect(upstreamUrlOf(route, '/api/orders/42?expand=items')).toBe('http://orders:3002/orders/42');
    expect(upstreamUrlOf(route, '/api/orders')).toBe('http://orders:3002/orders');
  });

  it('resolves dot segments as the upstream will see them', () => {
    expect(upstreamUrlOf(route, '/api/orders/a/../b')).toBe('http://orders:3002/orders/b');
  });
});
