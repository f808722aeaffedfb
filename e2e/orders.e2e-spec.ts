import { type TestApp, newTestApp, requestsServed } from '@authmesh/testing';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { authApp } from '../apps/auth/src/auth.app.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { type OrdersConfig, ordersApp } from '../apps/orders/src/orders.app.js';
import { call, newUser } from './support/http.js';

/**
 * Orders as users meet it: real auth, real profiles and real orders on real sockets, each with its
 * own Postgres database. Orders fetches the caller's address from profiles with its own
 * client-credentials token.
 */
describe('orders (e2e, with auth and profiles)', () => {
  const ISSUER = 'http://auth.test';
  // As under `npm start`: orders authenticates by private_key_jwt (RFC 7523), auth holds only its public key.
  const ordersKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ordersPrivateJwk = { ...ordersKey.privateKey.export({ format: 'jwk' }), kid: 'orders-e2e' };
  const ordersClient = {
    clientId: 'orders',
    jwks: { keys: [{ ...ordersKey.publicKey.export({ format: 'jwk' }), kid: 'orders-e2e' }] },
    scopes: ['profiles:read'],
    audiences: ['profiles'],
  };
  const address = { line1: '1 Main Street', city: 'Lyon', postalCode: '69001', country: 'FR' };
  const cart = {
    items: [
      { sku: 'BOOK-1', quantity: 2, unitPrice: 1250 },
      { sku: 'PEN-7', quantity: 3, unitPrice: 199 },
    ],
    currency: 'EUR',
  };
  let auth: TestApp;
  let profiles: TestApp;
  let orders: TestApp<OrdersConfig>;
  let profilesRunning = false;

  beforeAll(async () => {
    auth = await newTestApp(authApp, {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: ISSUER,
      AUTH_SEED_CLIENTS: JSON.stringify([ordersClient]),
    });
    const verifierEnv = { AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` };
    profiles = await newTestApp(profilesApp, verifierEnv);
    profilesRunning = true;
    orders = await newTestApp(ordersApp, {
      ...verifierEnv,
      AUTH_TOKEN_URL: `${auth.url}/oauth/token`,
      ORDERS_CLIENT_KEY: JSON.stringify(ordersPrivateJwk),
      PROFILES_URL: profiles.url,
      PROFILES_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await orders?.close();
    if (profilesRunning) await profiles.close();
    await auth?.close();
  });

  async function userWithAddress(label: string): Promise<{ userId: string; token: string }> {
    const user = await newUser(auth.url, label);
    const put = await call(`${profiles.url}/profiles/me`, {
      method: 'PUT',
      token: user.token,
      body: { displayName: label, shippingAddress: address },
    });
    expect(put.status).toBe(200);
    return user;
  }
  const placeOrder = (token: string, body: unknown = cart, headers: Record<string, string> = {}) =>
    call(`${orders.url}/orders`, { token, body, headers });

  async function orderRows(where: string, params: unknown[]): Promise<number> {
    const client = new pg.Client({ connectionString: orders.databaseUrl });
    await client.connect();
    try {
      const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE ${where}`, params);
      return Number(res.rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  it('places 100 orders carrying the address from profiles, with one call to the token endpoint', async () => {
    const user = await userWithAddress('buyer');
    const tokenCallsBefore = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');

    // All at once: the first calls race for the service token, and share one fetch.
    const results = await Promise.all(Array.from({ length: 100 }, () => placeOrder(user.token)));
    for (const res of results) {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        status: 'placed',
        total: 2 * 1250 + 3 * 199,
        currency: 'EUR',
        shippingAddress: address,
        items: cart.items,
      });
    }
    expect(new Set(results.map((r) => r.body.id)).size).toBe(100);
    expect((await requestsServed(auth.managementUrl, 'POST', '/oauth/token')) - tokenCallsBefore).toBe(1);
    expect(await orderRows('user_id = $1', [user.userId])).toBe(100);

    // GET /orders walks all 100 with the cursor, newest first, no duplicates.
    const seen: string[] = [];
    let cursor: string | null = null;
    let createdAts: string[] = [];
    do {
      const page: Awaited<ReturnType<typeof call<{ items: { id: string; createdAt: string }[]; nextCursor: string | null }>>> = await call(
        `${orders.url}/orders?limit=30${cursor ? `&cursor=${cursor}` : ''}`,
        { token: user.token },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((o) => o.id));
      createdAts = createdAts.concat(page.body.items.map((o) => o.createdAt));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
    expect([...createdAts].sort().reverse()).toEqual(createdAts);
  });

  it('answers 422 shipping_address_required when the caller has no address', async () => {
    const noProfile = await newUser(auth.url, 'no-profile');
    expect(await placeOrder(noProfile.token)).toMatchObject({ status: 422, body: { code: 'shipping_address_required' } });
    const emptyProfile = await newUser(auth.url, 'empty-profile');
    expect((await call(`${profiles.url}/profiles/me`, { token: emptyProfile.token })).status).toBe(200);
    expect(await placeOrder(emptyProfile.token)).toMatchObject({ status: 422, body: { code: 'shipping_address_required' } });
  });

  it('rejects a bad order body with 400 naming each bad field, and unknown fields', async () => {
    const user = await userWithAddress('sloppy');
    const res = await placeOrder(user.token, {
      items: [{ sku: 'A', quantity: 0, unitPrice: 9.99 }],
      currency: 'EURO',
      total: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const fields = (res.body.details as { fields: { field: string }[] }).fields.map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['items.0.quantity', 'items.0.unitPrice', 'currency', 'total']));
    expect((await placeOrder(user.token, { items: [], currency: 'EUR' })).status).toBe(400);
  });

  describe('prices come from the catalogue, never from the client', () => {
    it('prices a cart that names only SKUs and quantities from the catalogue', async () => {
      const user = await userWithAddress('catalogue');
      const res = await placeOrder(user.token, {
        items: [
          { sku: 'BOOK-1', quantity: 2 },
          { sku: 'PEN-7', quantity: 1 },
        ],
        currency: 'EUR',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        total: 2 * 1250 + 199,
        items: [
          { sku: 'BOOK-1', quantity: 2, unitPrice: 1250 },
          { sku: 'PEN-7', quantity: 1, unitPrice: 199 },
        ],
      });
    });

    it.each([
      ['a price of 0', 0, 'validation_failed'],
      ['a price of 1', 1, 'price_mismatch'],
      ['a price above the catalogue’s', 99_999, 'price_mismatch'],
    ])('refuses %s with 400 naming items.0.unitPrice, and writes nothing', async (_name, unitPrice, code) => {
      const user = await userWithAddress('cheapskate');
      const res = await placeOrder(user.token, { items: [{ sku: 'BOOK-1', quantity: 1, unitPrice }], currency: 'EUR' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code });
      expect((res.body.details as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(['items.0.unitPrice']);
      expect(await orderRows('user_id = $1', [user.userId])).toBe(0);
    });

    it('refuses an unknown SKU with 400 unknown_product naming the item', async () => {
      const user = await userWithAddress('unknown-sku');
      const res = await placeOrder(user.token, {
        items: [
          { sku: 'BOOK-1', quantity: 1 },
          { sku: 'NOPE-404', quantity: 1 },
        ],
        currency: 'EUR',
      });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'unknown_product' });
      expect((res.body.details as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(['items.1.sku']);
    });

    it('refuses a currency the items are not priced in with 400 currency_mismatch', async () => {
      const user = await userWithAddress('usd');
      const res = await placeOrder(user.token, { items: [{ sku: 'BOOK-1', quantity: 1 }], currency: 'USD' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'currency_mismatch' });
    });
  });

  describe('Idempotency-Key', () => {
    it('creates one order when the same key is sent twice, and answers the first order again', async () => {
      const user = await userWithAddress('retrier');
      const key = randomUUID();
      const first = await placeOrder(user.token, cart, { 'idempotency-key': key });
      const retry = await placeOrder(user.token, cart, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await orderRows('user_id = $1', [user.userId])).toBe(1);
    });

    it('creates one order when the same key is sent concurrently', async () => {
      const user = await userWithAddress('double-click');
      const key = randomUUID();
      const results = await Promise.all(Array.from({ length: 5 }, () => placeOrder(user.token, cart, { 'idempotency-key': key })));
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(await orderRows('user_id = $1', [user.userId])).toBe(1);
    });

    it('answers 422 idempotency_key_reused for the same key with a different body', async () => {
      const user = await userWithAddress('reuser');
      const key = randomUUID();
      expect((await placeOrder(user.token, cart, { 'idempotency-key': key })).status).toBe(201);
      const other = { ...cart, items: [{ sku: 'BOOK-1', quantity: 5, unitPrice: 1250 }] };
      expect(await placeOrder(user.token, other, { 'idempotency-key': key })).toMatchObject({
        status: 422,
        body: { code: 'idempotency_key_reused' },
      });
      expect(await orderRows('user_id = $1', [user.userId])).toBe(1);
    });

    it('scopes keys per user: another user with the same key gets an order of their own', async () => {
      const a = await userWithAddress('key-a');
      const b = await userWithAddress('key-b');
      const key = randomUUID();
      const fromA = await placeOrder(a.token, cart, { 'idempotency-key': key });
      const fromB = await placeOrder(b.token, cart, { 'idempotency-key': key });
      expect(fromB.status).toBe(201);
      expect(fromB.body.id).not.toBe(fromA.body.id);
    });
  });

  describe('ownership and cancellation', () => {
    it("lets user A neither read, list nor cancel user B's order (404, not 403)", async () => {
      const a = await userWithAddress('alice');
      const b = await userWithAddress('bob');
      const bOrder = (await placeOrder(b.token)).body.id as string;

      expect(await call(`${orders.url}/orders/${bOrder}`, { token: a.token })).toMatchObject({
        status: 404,
        body: { code: 'order_not_found' },
      });
      expect(await call(`${orders.url}/orders/${bOrder}/cancel`, { method: 'POST', token: a.token })).toMatchObject({
        status: 404,
        body: { code: 'order_not_found' },
      });
      const aList = await call<{ items: unknown[]; nextCursor: null }>(`${orders.url}/orders`, { token: a.token });
      expect(aList).toMatchObject({ status: 200, body: { items: [], nextCursor: null } });
      // B's order is untouched, and B sees it.
      expect(await call(`${orders.url}/orders/${bOrder}`, { token: b.token })).toMatchObject({
        status: 200,
        body: { id: bOrder, status: 'placed' },
      });
      expect(await call(`${orders.url}/orders/not-a-uuid`, { token: b.token })).toMatchObject({ status: 404 });
    });

    it('cancels a placed order once; a second cancel is 409', async () => {
      const user = await userWithAddress('canceller');
      const id = (await placeOrder(user.token)).body.id as string;
      const cancelled = await call(`${orders.url}/orders/${id}/cancel`, { method: 'POST', token: user.token });
      expect(cancelled).toMatchObject({ status: 200, body: { id, status: 'cancelled' } });
      expect(cancelled.body.cancelledAt).toEqual(expect.any(String));
      expect(await call(`${orders.url}/orders/${id}/cancel`, { method: 'POST', token: user.token })).toMatchObject({
        status: 409,
        body: { code: 'order_not_cancellable' },
      });
    });

    it('answers 401 without a bearer token', async () => {
      expect((await call(`${orders.url}/orders`)).status).toBe(401);
    });
  });

  // Last: it stops profiles for good.
  it('answers 503 dependency_unavailable with Retry-After and writes nothing when profiles is down', async () => {
    const user = await userWithAddress('outage');
    await profiles.close();
    profilesRunning = false;
    const res = await placeOrder(user.token, cart, { 'idempotency-key': randomUUID() });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'dependency_unavailable' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await orderRows('user_id = $1', [user.userId])).toBe(0);
  });
});
