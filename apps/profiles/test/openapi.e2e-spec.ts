import { type OpenApiCheck, type TestApp, checkOpenApi, newTestApp } from '@authmesh/testing';
import { type ProfilesConfig, profilesApp } from '../src/profiles.app.js';

describe('profiles: GET /openapi.json (e2e)', () => {
  let app: TestApp<ProfilesConfig>;
  let check: OpenApiCheck;

  beforeAll(async () => {
    // Nothing answers on port 9 (discard): the document needs no JWKS.
    app = await newTestApp(profilesApp, { AUTH_ISSUER: 'http://auth.test', AUTH_JWKS_URI: 'http://127.0.0.1:9/.well-known/jwks.json' });
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
        'GET /profiles',
        'GET /profiles/me',
        'PUT /profiles/me',
        'GET /profiles/{userId}',
        'GET /whoami',
        'GET /health/live',
      ]),
    );
    expect(check.undocumented).toEqual([]);
  });

  it('describes PUT /profiles/me from its DTO, behind a bearer token with profiles:write', () => {
    const paths = check.document.paths!;
    expect(paths['/profiles/me']!.put).toMatchObject({
      security: [{ bearer: ['profiles:write'] }],
      requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/UpdateProfileDto' } } } },
    });
    expect(check.document).toMatchObject({
      components: {
        schemas: {
          UpdateProfileDto: { required: ['displayName'], additionalProperties: false, properties: { displayName: { maxLength: 100 } } },
          ShippingAddressDto: { required: ['line1', 'city', 'postalCode', 'country'] },
        },
      },
    });
  });
});
