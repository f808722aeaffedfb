import { type OpenApiCheck, type TestApp, checkOpenApi, newTestApp } from '@authmesh/testing';
import { randomBytes } from 'node:crypto';
import { authApp } from '../src/auth.app.js';

describe('auth: GET /openapi.json (e2e)', () => {
  let app: TestApp;
  let check: OpenApiCheck;

  beforeAll(async () => {
    app = await newTestApp(authApp, { AUTH_KEK: randomBytes(32).toString('base64'), AUTH_ISSUER: 'http://auth.test' });
    check = await checkOpenApi(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers without a token, as a valid OpenAPI 3.1 document counted as a 200', () => {
    expect(check.status).toBe(200);
    expect(check.document.openapi).toBe('3.1.0');
    expect(check.validation).toEqual({ valid: true });
    expect(check.countedStatuses).toEqual(['200']);
  });

  it('lists every route the app registers', () => {
    expect(check.compared).toEqual(
      expect.arrayContaining([
        'POST /auth/login',
        'POST /oauth/token',
        'GET /.well-known/jwks.json',
        'POST /admin/clients/{clientId}/disable',
        'POST /admin/keys/{kid}/revoke',
        'GET /openapi.json',
      ]),
    );
    expect(check.undocumented).toEqual([]);
  });

  it('describes /oauth/* with form bodies, client authentication and RFC 6749 §5.2 errors', () => {
    const token = check.document.paths!['/oauth/token']!.post;
    expect(token).toMatchObject({
      requestBody: {
        content: {
          'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/TokenRequest' } },
          'application/json': { schema: { $ref: '#/components/schemas/TokenRequest' } },
        },
      },
      security: [{ clientBasic: [] }, {}],
      responses: { '4XX': { $ref: '#/components/responses/OAuthError' }, '5XX': { $ref: '#/components/responses/OAuthError' } },
    });
    expect(check.document).toMatchObject({
      components: { schemas: { OAuthErrorBody: { required: ['error'], properties: { error: {}, error_description: {} } } } },
    });
  });

  it('puts the bearer scheme, with auth:admin, on the admin API and none on login', () => {
    const paths = check.document.paths!;
    expect(paths['/admin/clients']!.post).toMatchObject({
      security: [{ bearer: ['auth:admin'] }],
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateClientDto' } } } },
      responses: { '4XX': { $ref: '#/components/responses/PlatformError' } },
    });
    expect(paths['/auth/logout']!.post).toMatchObject({ security: [{ bearer: [] }] });
    expect(paths['/auth/login']!.post).not.toHaveProperty('security');
  });
});
