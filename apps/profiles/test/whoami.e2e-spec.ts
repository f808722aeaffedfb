import {
  type TestApp,
  newTestApp,
  getWithToken,
  rawGet,
  testAgent,
  JwksTestServer,
  generateSigningKey,
  jwksOf,
  accessClaims,
  signToken,
} from '@authmesh/testing';
import type { Agent } from 'node:http';
import { type ProfilesConfig, profilesApp } from '../src/profiles.app.js';

describe('profiles: every route requires a token for audience profiles (e2e)', () => {
  const key = generateSigningKey('auth-key-1');
  let jwks: JwksTestServer;
  let app: TestApp<ProfilesConfig>;
  let agent: Agent;
  const token = (aud: string | string[]) => signToken(key, accessClaims(jwks.url, aud, Math.floor(Date.now() / 1000)));

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    app = await newTestApp(profilesApp, { AUTH_ISSUER: jwks.url, AUTH_JWKS_URI: jwks.jwksUri });
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    await app?.close();
    await jwks?.close();
  });

  it('answers GET /whoami for a token whose aud contains profiles', async () => {
    const res = await getWithToken(`${app.url}/whoami`, token(['orders', 'profiles']), agent);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ sub: 'user-1', audience: ['orders', 'profiles'] });
  });

  it('rejects a token meant for orders only', async () => {
    const res = await getWithToken(`${app.url}/whoami`, token('orders'), agent);
    expect(res.status).toBe(401);
    expect(res.json?.code).toBe('token_wrong_audience');
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The access token is not intended for this service"',
    );
  });

  it('keeps health public and reports the JWKS in readiness', async () => {
    const res = await rawGet(`${app.managementUrl}/health/ready`, [], agent);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ info: { jwks: { status: 'up', keys: 1 } } });
  });
});
