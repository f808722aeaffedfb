import { type OpenApiCheck, type TestApp, checkOpenApi, newTestApp } from '@authmesh/testing';
import { type OrdersConfig, ordersApp } from '../src/orders.app.js';

/** Nothing upstream answers (port 9, discard): the document needs none of them. */
const NOWHERE = 'http://127.0.0.1:9';

describe('orders: GET /openapi.json (e2e)', () => {
  let app: TestApp<OrdersConfig>;
  let check: OpenApiCheck;

  beforeAll(async () => {
    app = await newTestApp(ordersApp, {
      AUTH_ISSUER: 'http://auth.test',
      AUTH_JWKS_URI: `${NOWHERE}/.well-known/jwks.json`,
      AUTH_TOKEN_URL: `${NOWHERE}/oauth/token`,
      ORDERS_CLIENT_SECRET: 'orders-secret-0123456789AbCdEfGhIjKl',
      PROFILES_URL: NOWHERE,
    });
    check = await checkOpenApi(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers without a token, as a valid OpenAPI 3.1 document counted as a 200', () => {
    expect(check.status).toBe(200);
    expect(check.contentType).toMatch(/^application\/json/);
    expect(check.document.openapi).toBe('3.1.0');
    expect(check.validation).toEqual({ valid: true });
    expect(check.countedStatuses).toEqual(['200']);
  });

  it('lists every route the app registers', () => {
    expect(check.compared).toEqual(
      expect.arrayContaining([
        'POST /orders',
        'GET /orders',
        'GET /orders/{id}',
        'POST /orders/{id}/cancel',
        'GET /health/ready',
        'GET /openapi.json',
      ]),
    );
    expect(check.undocumented).toEqual([]);
  });

  it('names the bearer scheme and the scope of each protected route, and the platform error shape', () => {
    const paths = check.document.paths!;
    expect(paths['/orders']!.post).toMatchObject({
      security: [{ bearer: ['orders:write'] }],
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateOrderDto' } } } },
      responses: { '4XX': { $ref: '#/components/responses/PlatformError' }, '401': { $ref: '#/components/responses/PlatformError' } },
    });
    expect(paths['/orders/{id}']!.get).toMatchObject({ security: [{ bearer: ['orders:read'] }] });
    expect(paths['/health/live']!.get).not.toHaveProperty('security');
    expect(check.document).toMatchObject({
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    });
  });
});
