import { randomBytes } from 'node:crypto';
import { newTestApp, type TestApp } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

// Crosses the real boundary: tokens signed by the auth service, verified locally by orders.
describe('orders accepts tokens issued by the real auth service', () => {
  let auth: TestApp;
  let orders: TestApp;
  const clients = [
    { clientId: 'svc', secret: 'svc-secret-0123456789AbCdEfGhIjKl', scopes: ['orders:read'], audiences: ['orders', 'profiles'] },
  ];

  beforeAll(async () => {
    auth = await newTestApp(authApp, {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: 'http://auth.test',
      AUTH_SEED_CLIENTS: JSON.stringify(clients),
    });
    orders = await newTestApp(ordersApp, {
      AUTH_ISSUER: 'http://auth.test',
      AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      ...UNUSED_PROFILES_CLIENT_ENV,
    });
  });
  afterAll(async () => {
    await orders?.close();
    await auth?.close();
  });

  async function clientToken(audience: string): Promise<string> {
    const res = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'svc',
        client_secret: 'svc-secret-0123456789AbCdEfGhIjKl',
        audience,
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('answers /whoami with the principal of a user token from /auth/login', async () => {
    const email = `u-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'long enough password!';
    await fetch(`${auth.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const login = (await (
      await fetch(`${auth.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      })
    ).json()) as {
      access_token: string;
    };
    const res = await fetch(`${orders.url}/whoami`, { headers: { authorization: `Bearer ${login.access_token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ clientId: 'authmesh', isService: false, scopes: expect.arrayContaining(['orders:read']) });
  });

  it('accepts a client-credentials token for audience orders and rejects one for profiles', async () => {
    const ok = await fetch(`${orders.url}/whoami`, { headers: { authorization: `Bearer ${await clientToken('orders')}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ sub: 'svc', clientId: 'svc', isService: true });
    const wrong = await fetch(`${orders.url}/whoami`, { headers: { authorization: `Bearer ${await clientToken('profiles')}` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'token_wrong_audience' });
  });
});
