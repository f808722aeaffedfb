import { type TestApp, counterValue } from '@authmesh/testing';
import { decodeJwt } from 'jose';
import {
  ADDRESS,
  CART,
  GATEWAY_CLIENT,
  ORDERS_CLIENT,
  RecordingProxy,
  call,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './support/gateway-fixture.js';
import { basic, form } from '../../apps/auth/test/auth-fixture.js';

const ADMIN_CLIENT = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin'],
  audiences: ['auth'],
};
const KEY_RATE_PER_MIN = 60;
const FAILURES_PER_MIN = 5;

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
}

// API keys (issue 22) end to end: created at auth, presented at the gateway, exchanged there for a
// short token per service (cached), never forwarded; real auth, orders and profiles, Postgres and
// Redis. A recording proxy in front of orders shows exactly what orders received.
describe('gateway: API keys exchanged for short tokens (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let recorder: RecordingProxy;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let adminToken: string;
  let addressCounter = 0;
  /** A client address of the test's own (the gateway trusts 127.0.0.1 as its load balancer), so failure budgets don't mix. */
  const nextAddress = (): string => `198.51.100.${++addressCounter}`;

  beforeAll(async () => {
    auth = await startAuth({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT, ADMIN_CLIENT]) });
    ({ orders, profiles } = await startServices(auth));
    recorder = await RecordingProxy.start(orders.url);
    gateway = await startGateway(
      { auth, ordersUrl: recorder.url, profilesUrl: profiles.url },
      {
        TRUST_PROXY: '127.0.0.1',
        GATEWAY_API_KEY_RATE_PER_MIN: String(KEY_RATE_PER_MIN),
        GATEWAY_API_KEY_FAILURES_PER_MIN: String(FAILURES_PER_MIN),
      },
    );
    const f = form({ grant_type: 'client_credentials', audience: 'auth', scope: 'auth:admin' });
    const res = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(ADMIN_CLIENT.clientId, ADMIN_CLIENT.secret) },
    });
    adminToken = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await gateway?.close();
    await recorder?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  /** A user who has a profile (so orders can be created) and a login token for audience auth. */
  async function newUser(label: string): Promise<{ token: string; sub: string }> {
    const login = await loginAt(auth.url, await registerUser(auth.url, label));
    const put = await call(`${gateway.url}/api/profiles/me`, {
      method: 'PUT',
      token: login.access_token,
      body: { displayName: label, shippingAddress: ADDRESS },
    });
    expect(put.status).toBe(200);
    return { token: login.access_token, sub: String(decodeJwt(login.access_token).sub) };
  }

  async function createKey(userToken: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
    const res = await call<CreatedKey>(`${auth.url}/auth/api-keys`, {
      token: userToken,
      body: { name: 'partner', scopes: ['orders:read', 'orders:write'], audiences: ['orders'], ...body },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  const withKey = (
    key: string,
    path = '/api/orders',
    init: { address?: string; header?: 'authorization' | 'x-api-key'; body?: unknown } = {},
  ) =>
    call<{ code?: string; items?: { id: string }[]; id?: string }>(`${gateway.url}${path}`, {
      headers: {
        ...(init.header === 'x-api-key' ? { 'x-api-key': key } : { authorization: `ApiKey ${key}` }),
        'x-forwarded-for': init.address ?? '127.0.0.1',
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });

  const lastAtOrders = () => recorder.seen[recorder.seen.length - 1]!;

  it("reaches /api/orders with its owner's rights; orders receives a short JWT for orders alone, never the key", async () => {
    const user = await newUser('key-owner');
    const order = await call<{ id: string }>(`${gateway.url}/api/orders`, { token: user.token, body: CART });
    expect(order.status).toBe(201);
    const { key, id } = await createKey(user.token);
    expect(key).toMatch(/^amk_live_[0-9A-Za-z]{49}$/);

    const list = await withKey(key);
    expect(list.status).toBe(200);
    expect(list.body.items!.map((o) => o.id)).toEqual([order.body.id]);
    const created = await withKey(key, '/api/orders', { header: 'x-api-key', body: CART });
    expect(created.status).toBe(201);

    const seen = lastAtOrders();
    expect(JSON.stringify(seen)).not.toContain(key);
    expect(seen['x-api-key']).toBeUndefined();
    const token = String(seen.authorization).replace(/^Bearer /, '');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: user.sub, aud: ['orders'], akid: id, act: { sub: 'gateway' }, client_id: 'gateway' });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(120);
    expect(String(claims.scope).split(' ').sort()).toEqual(['orders:read', 'orders:write']);
    // Good for orders only: profiles refuses it.
    expect(await call(`${profiles.url}/whoami`, { token })).toMatchObject({ status: 401, body: { code: 'token_wrong_audience' } });
  });

  it('checks the key at auth once per cached token lifetime under concurrent and sustained load', async () => {
    const user = await newUser('key-load');
    const { key } = await createKey(user.token);
    const before = await counterValue(auth.managementUrl, 'api_key_checks_total');
    const hitsBefore = await counterValue(gateway.managementUrl, 'gateway_api_key_exchanges_total', { result: 'hit' });
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => withKey(key)));
    expect(concurrent.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (let i = 0; i < 20; i++) expect((await withKey(key)).status).toBe(200);
    expect(await counterValue(auth.managementUrl, 'api_key_checks_total')).toBe(before + 1);
    expect(await counterValue(gateway.managementUrl, 'gateway_api_key_exchanges_total', { result: 'hit' })).toBe(hitsBefore + 39);
  });

  it('refuses the next request with 401 api_key_invalid within a second of revoking the key', async () => {
    const user = await newUser('key-revoke');
    const { key, id } = await createKey(user.token);
    expect((await withKey(key)).status).toBe(200); // its token is cached now
    const revoked = await call(`${auth.url}/auth/api-keys/${id}/revoke`, { token: user.token, method: 'POST' });
    expect(revoked.status).toBe(200);
    const start = Date.now();
    let res = await withKey(key);
    while (res.status === 200 && Date.now() - start < 3000) res = await withKey(key);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(res).toMatchObject({ status: 401, body: { code: 'api_key_invalid' } });
    expect(res.headers.get('www-authenticate')).toBe('ApiKey realm="authmesh"');
  });

  it('refuses an expired key with 401 api_key_invalid', async () => {
    const user = await newUser('key-expired');
    const { key } = await createKey(user.token, { expiresAt: new Date(Date.now() + 2500).toISOString() });
    expect((await withKey(key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2600));
    expect(await withKey(key)).toMatchObject({ status: 401, body: { code: 'api_key_invalid' } });
  });

  it("refuses a disabled owner's key with 401 api_key_invalid, its cached token included", async () => {
    const user = await newUser('key-disabled');
    const { key } = await createKey(user.token);
    expect((await withKey(key)).status).toBe(200);
    const disabled = await call(`${auth.url}/admin/users/${user.sub}/disable`, { token: adminToken, method: 'POST' });
    expect(disabled.status).toBe(200);
    const start = Date.now();
    let res = await withKey(key);
    while (res.status === 200 && Date.now() - start < 3000) res = await withKey(key);
    expect(res).toMatchObject({ status: 401, body: { code: 'api_key_invalid' } });
  });

  it('refuses a key used from an address outside its allow-list with the same 401, and serves it from inside', async () => {
    const user = await newUser('key-cidr');
    const { key } = await createKey(user.token, { allowedCidrs: ['203.0.113.0/24'] });
    expect((await withKey(key, '/api/orders', { address: '203.0.113.9' })).status).toBe(200);
    expect(await withKey(key, '/api/orders', { address: nextAddress() })).toMatchObject({ status: 401, body: { code: 'api_key_invalid' } });
    // The token cached for the allowed address is not served to another one.
    expect(await withKey(key, '/api/orders', { address: nextAddress() })).toMatchObject({ status: 401, body: { code: 'api_key_invalid' } });
    expect((await withKey(key, '/api/orders', { address: '203.0.113.10' })).status).toBe(200);

    // Concurrent first requests share one exchange: the one from outside must not get the token issued for inside.
    const fresh = (await createKey(user.token, { allowedCidrs: ['203.0.113.0/24'] })).key;
    const outside = nextAddress();
    const answers = await Promise.all([
      withKey(fresh, '/api/orders', { address: '203.0.113.11' }),
      ...Array.from({ length: 3 }, () => withKey(fresh, '/api/orders', { address: outside })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 401, 401, 401]);
  });

  it('answers 403 api_key_insufficient_scope for a service the key has no scope for, and orders 403 for a scope it lacks', async () => {
    const user = await newUser('key-scope');
    const { key } = await createKey(user.token, { scopes: ['orders:read'], audiences: ['orders', 'profiles'] });
    expect(await withKey(key, '/api/profiles/me')).toMatchObject({ status: 403, body: { code: 'api_key_insufficient_scope' } });
    expect((await withKey(key)).status).toBe(200);
    expect(await withKey(key, '/api/orders', { body: CART })).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } });
  });

  it('rotation with a grace period: both keys work during it, only the new one after', async () => {
    const user = await newUser('key-rotate');
    const old = await createKey(user.token);
    expect((await withKey(old.key)).status).toBe(200);
    const rotated = await call<CreatedKey>(`${auth.url}/auth/api-keys/${old.id}/rotate`, { token: user.token, body: { graceSeconds: 2 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.key).not.toBe(old.key);
    expect((await withKey(old.key)).status).toBe(200);
    expect((await withKey(rotated.body.key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2300));
    expect(await withKey(old.key, '/api/orders', { address: nextAddress() })).toMatchObject({
      status: 401,
      body: { code: 'api_key_invalid' },
    });
    expect((await withKey(rotated.body.key)).status).toBe(200);
  });

  it('refuses a key together with a bearer token: 400 credentials_ambiguous, nothing forwarded', async () => {
    const user = await newUser('key-ambiguous');
    const { key } = await createKey(user.token);
    const forwarded = recorder.seen.length;
    const res = await call(`${gateway.url}/api/orders`, { token: user.token, headers: { 'x-api-key': key } });
    expect(res).toMatchObject({ status: 400, body: { code: 'credentials_ambiguous' } });
    expect(recorder.seen.length).toBe(forwarded);
  });

  it('refuses a malformed key without asking auth, and stops an address guessing keys with 429 api_key_guess_limited', async () => {
    const address = nextAddress();
    const unknownBefore = await counterValue(auth.managementUrl, 'api_key_checks_total', { outcome: 'unknown' });
    const malformedBefore = await counterValue(auth.managementUrl, 'api_key_checks_total', { outcome: 'malformed' });
    const guess = (i: number) => withKey(`amk_live_${String(i).padStart(49, 'A')}`, '/api/orders', { address });
    for (let i = 0; i < FAILURES_PER_MIN; i++) expect(await guess(i)).toMatchObject({ status: 401, body: { code: 'api_key_invalid' } });
    const limited = await guess(99);
    expect(limited).toMatchObject({ status: 429, body: { code: 'api_key_guess_limited' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Bad checksums: refused at auth before any hash or lookup; the limited one never reached auth.
    expect(await counterValue(auth.managementUrl, 'api_key_checks_total', { outcome: 'unknown' })).toBe(unknownBefore);
    expect(await counterValue(auth.managementUrl, 'api_key_checks_total', { outcome: 'malformed' })).toBe(
      malformedBefore + FAILURES_PER_MIN,
    );
  });

  it('limits requests per key: 429 api_key_rate_limited with Retry-After past GATEWAY_API_KEY_RATE_PER_MIN', async () => {
    const user = await newUser('key-rate');
    const { key } = await createKey(user.token);
    for (let i = 0; i < KEY_RATE_PER_MIN; i++) expect((await withKey(key)).status).toBe(200);
    const limited = await withKey(key);
    expect(limited).toMatchObject({ status: 429, body: { code: 'api_key_rate_limited' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
