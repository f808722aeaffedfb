import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import { randomBytes } from 'node:crypto';
import { newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { GATEWAY_CLIENT, basic } from '../apps/auth/test/auth-fixture.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';
import { call, newUser } from './support/http.js';

// RFC 8693 across the real boundary: the gateway client exchanges a user's token at auth for one that
// is good for orders only; orders and profiles verify it locally, and auth's revocation reaches it.
describe('a token exchanged at auth for orders, verified by orders and profiles', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;

  beforeAll(async () => {
    auth = await newTestApp(authApp, {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: 'http://auth.test',
      AUTH_SEED_CLIENTS: JSON.stringify([GATEWAY_CLIENT]),
    });
    const verifierEnv = { AUTH_ISSUER: 'http://auth.test', AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` };
    [orders, profiles] = await Promise.all([
      newTestApp(ordersApp, { ...verifierEnv, ...UNUSED_PROFILES_CLIENT_ENV }),
      newTestApp(profilesApp, verifierEnv),
    ]);
  });
  afterAll(async () => {
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  async function exchange(subjectToken: string, audience: string, scope?: string): Promise<string> {
    const res = await call<{ access_token: string }>(`${auth.url}/oauth/token`, {
      headers: { authorization: basic(GATEWAY_CLIENT.clientId, GATEWAY_CLIENT.secret) },
      body: {
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: TOKEN_TYPE_ACCESS_TOKEN,
        audience,
        ...(scope === undefined ? {} : { scope }),
      },
    });
    if (res.status !== 200) throw new Error(`token exchange answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.access_token;
  }

  it('is accepted by orders, which sees the user as sub, the gateway as actor and the narrowed scopes', async () => {
    const { userId, token } = await newUser(auth.url, 'exchange');
    const exchanged = await exchange(token, 'orders', 'orders:read');
    const res = await call(`${orders.url}/whoami`, { token: exchanged });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sub: userId,
      clientId: 'gateway',
      actor: 'gateway',
      scopes: ['orders:read'],
      audience: ['orders'],
      isService: false,
    });
    // The user's own token has no actor.
    expect((await call(`${orders.url}/whoami`, { token })).body).not.toHaveProperty('actor');
  });

  it('carries only the narrowed scopes: orders:read alone cannot create an order (403 insufficient_scope)', async () => {
    const { token } = await newUser(auth.url, 'exchange-scope');
    const readOnly = await exchange(token, 'orders', 'orders:read');
    expect((await call(`${orders.url}/orders`, { token: readOnly })).status).toBe(200);
    const create = await call(`${orders.url}/orders`, {
      token: readOnly,
      body: { items: [{ sku: 'A-1', quantity: 1, unitPrice: 100 }], currency: 'EUR' },
    });
    expect({ status: create.status, code: create.body.code }).toEqual({ status: 403, code: 'insufficient_scope' });
  });

  it('is rejected by profiles with 401 token_wrong_audience', async () => {
    const { token } = await newUser(auth.url, 'exchange-aud');
    const exchanged = await exchange(token, 'orders');
    const res = await call(`${profiles.url}/whoami`, { token: exchanged });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_wrong_audience' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    // The user's own token, good for profiles, still is.
    expect((await call(`${profiles.url}/whoami`, { token })).status).toBe(200);
  });

  it('is refused by orders (token_revoked) once the user logs out everywhere', async () => {
    const { token } = await newUser(auth.url, 'exchange-revoked');
    const exchanged = await exchange(token, 'orders');
    expect((await call(`${orders.url}/whoami`, { token: exchanged })).status).toBe(200);
    const logoutAll = await call(`${auth.url}/auth/logout-all`, { token, body: {} });
    expect(logoutAll.status).toBe(200);
    // Propagation to the mirror is asynchronous (the revocation stream); the subject revocation covers the exchanged token's iat.
    await waitFor(async () => (await call(`${orders.url}/whoami`, { token: exchanged })).status === 401, 2000, 10);
    const res = await call(`${orders.url}/whoami`, { token: exchanged });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_revoked' });
  });
});
