import { type OpenApiCheck, type TestApp, checkOpenApi, newTestApp } from '@authmesh/testing';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../src/config/gateway.config.js';
import { gatewayApp } from '../src/gateway.app.js';

/** Nothing answers on port 9 (discard): the document is built from the route table, not from the upstreams. */
const NOWHERE = 'http://127.0.0.1:9';

describe('gateway: GET /openapi.json (e2e)', () => {
  let app: TestApp<GatewayConfig>;
  let check: OpenApiCheck;

  beforeAll(async () => {
    app = await newTestApp(gatewayApp, {
      AUTH_ISSUER: 'http://auth.test',
      AUTH_JWKS_URI: `${NOWHERE}/.well-known/jwks.json`,
      AUTH_URL: NOWHERE,
      ORDERS_URL: NOWHERE,
      PROFILES_URL: NOWHERE,
      GATEWAY_CLIENT_SECRET: 'gateway-secret-0123456789AbCdEfGhIjKl',
      GATEWAY_AUTH_ALLOW_HTTP: 'true',
      GATEWAY_REDIS_KEY_PREFIX: `test:gw-openapi-${randomBytes(4).toString('hex')}:`,
    });
    check = await checkOpenApi(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers without a credential, as a valid OpenAPI 3.1 document counted as a 200', () => {
    expect(check.status).toBe(200);
    expect(check.document.openapi).toBe('3.1.0');
    expect(check.validation).toEqual({ valid: true });
    expect(check.countedStatuses).toEqual(['200']);
  });

  it('lists every route the app registers, the proxied prefixes included', () => {
    expect(check.compared).toEqual(
      expect.arrayContaining([
        'GET /session/login',
        'GET /session/callback',
        'GET /session',
        'POST /api/orders/{path}',
        'GET /api/profiles',
        'POST /oauth/{path}',
        'GET /.well-known/{path}',
        'GET /health/ready',
        'GET /openapi.json',
      ]),
    );
    expect(check.undocumented).toEqual([]);
  });

  it('names the session cookie and the CSRF header, and requires them on unsafe session routes', () => {
    expect(check.document).toMatchObject({
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: app.config.gateway.sessionCookieName },
          csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
        },
      },
    });
    const paths = check.document.paths!;
    expect(paths['/session/logout']!.post).toMatchObject({ security: [{ session: [], csrf: [] }] });
    expect(paths['/api/orders/{path}']!.post).toMatchObject({ security: [{ bearer: [] }, { session: [], csrf: [] }] });
    expect(paths['/api/orders/{path}']!.get).toMatchObject({ security: [{ bearer: [] }, { session: [] }] });
    expect(paths['/oauth/{path}']!.post).toMatchObject({ responses: { '4XX': { $ref: '#/components/responses/OAuthError' } } });
    expect(paths['/oauth/{path}']!.post).not.toHaveProperty('security');
  });
});
