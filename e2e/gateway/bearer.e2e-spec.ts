import type { TestApp } from '@authmesh/testing';
import { waitFor, requestsServed } from '@authmesh/testing';
import { decodeJwt } from 'jose';
import { request as httpRequest } from 'node:http';
import {
  ADDRESS,
  CART,
  GATEWAY_CLIENT,
  ORDERS_CLIENT,
  TestClock,
  call,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './support/gateway-fixture.js';

// Bearer mode over real auth, orders and profiles: a good user token goes through unchanged; a bad
// one is answered by the gateway itself, and orders' own request counter proves it never got there.
describe('gateway bearer mode (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const clock = new TestClock();

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url }, {}, clock);
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });
  afterEach(() => {
    clock.offsetMs = 0;
  });

  const userToken = async (label: string): Promise<string> => (await loginAt(auth.url, await registerUser(auth.url, label))).access_token;
  const ordersServed = (): Promise<number> => requestsServed(orders.managementUrl, 'GET', '/orders');

  /** Asserts the edge's 401 and that orders saw nothing. */
  async function refusedAtEdge(headers: Record<string, string>, code: string, status = 401): Promise<void> {
    const before = await ordersServed();
    const res = await call(`${gateway.url}/api/orders`, { headers });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code, requestId: expect.any(String) });
    if (status === 401 && code !== 'token_missing') {
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
    }
    expect(await ordersServed()).toBe(before);
  }

  it('lets a valid user token reach orders, forwarded unchanged, and create an order', async () => {
    const token = await userToken('bearer-ok');
    expect(
      (await call(`${gateway.url}/api/profiles/me`, { method: 'PUT', token, body: { displayName: 'B', shippingAddress: ADDRESS } })).status,
    ).toBe(200);
    const created = await call<{ id: string }>(`${gateway.url}/api/orders`, { token, body: CART });
    expect(created.status).toBe(201);
    const list = await call<{ items: { id: string }[] }>(`${gateway.url}/api/orders`, { token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((o) => o.id)).toEqual([created.body.id]);
    expect((await call(`${gateway.url}/api/orders/${created.body.id}`, { token })).status).toBe(200);
  });

  it('answers a request without credentials with 401 token_missing and a bare Bearer challenge', async () => {
    await refusedAtEdge({}, 'token_missing');
    const res = await call(`${gateway.url}/api/orders`);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer, DPoP algs="ES256 EdDSA RS256 PS256"`);
  });

  it('refuses an expired token at the edge (token_expired)', async () => {
    const token = await userToken('bearer-expired');
    // The gateway's clock (only) moves past exp + tolerance; orders would still accept the token.
    clock.offsetMs = (decodeJwt(token).exp! - Date.now() / 1000 + 31) * 1000;
    await refusedAtEdge({ authorization: `Bearer ${token}` }, 'token_expired');
  });

  it('refuses a revoked token at the edge (token_revoked), via the revocation mirror', async () => {
    const token = await userToken('bearer-revoked');
    // Logout through the gateway: a bearer token on /auth/* is verified for audience auth, then forwarded.
    const logout = await call(`${gateway.url}/auth/logout`, { token, body: {} });
    expect(logout.status).toBe(200);
    await waitFor(async () => (await call(`${gateway.url}/api/orders`, { token })).status === 401, 3000, 20);
    await refusedAtEdge({ authorization: `Bearer ${token}` }, 'token_revoked');
  });

  it('refuses a token for another audience at the edge (token_wrong_audience)', async () => {
    const res = await call<{ access_token: string }>(`${auth.url}/oauth/token`, {
      body: {
        grant_type: 'client_credentials',
        client_id: ORDERS_CLIENT.clientId,
        client_secret: ORDERS_CLIENT.secret,
        audience: 'profiles',
      },
    });
    expect(res.status).toBe(200);
    await refusedAtEdge({ authorization: `Bearer ${res.body.access_token}` }, 'token_wrong_audience');
  });

  it('refuses a tampered or garbage token at the edge', async () => {
    const token = await userToken('bearer-tampered');
    const [h, p] = token.split('.');
    await refusedAtEdge({ authorization: `Bearer ${h}.${p}.${'A'.repeat(342)}` }, 'token_bad_signature');
    await refusedAtEdge({ authorization: 'Bearer not-a-jwt' }, 'token_malformed');
  });

  it('answers two Authorization headers with 400 invalid_request at the edge (RFC 6750 §3.1)', async () => {
    const token = await userToken('bearer-twice');
    const before = await ordersServed();
    // node:http with an array value sends two header lines (fetch would join them into one).
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gateway.url}/api/orders`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.setHeader('authorization', [`Bearer ${token}`, `Bearer ${token}`]);
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
    expect(await ordersServed()).toBe(before);
  });

  it('verifies a bearer token on /auth/* for audience auth', async () => {
    const res = await call<{ access_token: string }>(`${auth.url}/oauth/token`, {
      body: {
        grant_type: 'client_credentials',
        client_id: ORDERS_CLIENT.clientId,
        client_secret: ORDERS_CLIENT.secret,
        audience: 'profiles',
      },
    });
    const before = await requestsServed(auth.managementUrl, 'POST', '/auth/logout');
    const logout = await call(`${gateway.url}/auth/logout`, { token: res.body.access_token, body: {} });
    expect(logout.status).toBe(401);
    expect(logout.body).toMatchObject({ code: 'token_wrong_audience' });
    expect(await requestsServed(auth.managementUrl, 'POST', '/auth/logout')).toBe(before);
  });

  it('refuses a client-credentials (service) token on /api/* with 403 user_token_required, and nothing reaches the service', async () => {
    const serviceToken = async (client: { clientId: string; secret: string }, audience: string): Promise<string> => {
      const res = await call<{ access_token: string }>(`${gateway.url}/oauth/token`, {
        body: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.secret, audience },
      });
      expect(res.status).toBe(200);
      return res.body.access_token;
    };
    // A token good for orders, but a client's own: orders would have served it.
    await refusedAtEdge({ authorization: `Bearer ${await serviceToken(GATEWAY_CLIENT, 'orders')}` }, 'user_token_required', 403);

    // The reported case: orders' secret was enough to read any user's profile by id from outside.
    const victim = await userToken('bearer-victim');
    const sub = decodeJwt(victim).sub!;
    expect(
      (await call(`${gateway.url}/api/profiles/me`, { method: 'PUT', token: victim, body: { displayName: 'V', shippingAddress: ADDRESS } }))
        .status,
    ).toBe(200);
    const res = await call(`${gateway.url}/api/profiles/${sub}`, { token: await serviceToken(ORDERS_CLIENT, 'profiles') });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'user_token_required', message: expect.any(String), requestId: expect.any(String) });
    // A user's token is still fine on the same routes.
    expect((await call(`${gateway.url}/api/profiles/me`, { token: victim })).status).toBe(200);
  });
});
