import { openApiPathOf, routesToDocument } from './openapi.js';

describe('the routes an OpenAPI document must list', () => {
  it('writes Fastify parameters and a trailing wildcard as OpenAPI path templates', () => {
    expect(openApiPathOf('/orders/:id/cancel')).toBe('/orders/{id}/cancel');
    expect(openApiPathOf('/api/orders/*')).toBe('/api/orders/{path}');
  });

  it("leaves out OPTIONS and a GET's automatic HEAD, but not a HEAD of its own", () => {
    const routes = routesToDocument([
      { method: 'GET', url: '/health/live' },
      { method: 'HEAD', url: '/health/live' },
      { method: 'OPTIONS', url: '*' },
      { method: 'HEAD', url: '/only-head' },
    ]);
    expect(routes).toEqual([
      { method: 'GET', path: '/health/live' },
      { method: 'HEAD', path: '/only-head' },
    ]);
  });

  it('takes a trailing-slash route as the empty sub-path of its wildcard twin', () => {
    expect(routesToDocument([{ method: 'POST', url: '/api/orders/' }])).toEqual([{ method: 'POST', path: '/api/orders/{path}' }]);
  });
});
