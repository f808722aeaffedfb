import { TOKEN_TYPE_API_KEY, GRANT_TOKEN_EXCHANGE } from '@authmesh/contracts';
import { type TestApp, call } from '@authmesh/testing';
import { decodeJwt } from 'jose';
import type { AuthConfig } from '../src/config/auth.config.js';
import { GATEWAY_CLIENT, ORDERS_CLIENT, basic, form, newAuthApp, uniqueEmail } from './auth-fixture.js';

const ADMIN_CLIENT = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin'],
  audiences: ['auth'],
};
/** A partner's server registered as a client: its keys are bounded by its registration. */
const PARTNER_CLIENT = {
  clientId: 'partner',
  secret: 'partner-secret-0123456789AbCdEfGhIjKlMn',
  scopes: ['orders:read'],
  audiences: ['orders'],
};
const PASSWORD = 'a long enough passphrase';

interface KeyBody {
  id: string;
  key: string;
  prefix: string;
  owner: { type: string; id: string };
  scopes: string[];
  revokedAt: string | null;
  expiresAt: string | null;
}

// The API key admin and self-service APIs and the RFC 8693 exchange of a key, over HTTP against
// real Postgres and Redis. The gateway's side is e2e/gateway/api-keys.e2e-spec.ts.
describe('auth: API keys (admin, self-service, token exchange)', () => {
  let app: TestApp<AuthConfig>;
  let adminToken: string;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT, ADMIN_CLIENT, PARTNER_CLIENT]) });
    adminToken = (await clientToken(ADMIN_CLIENT, { audience: 'auth', scope: 'auth:admin' })).access_token as string;
  });
  afterAll(async () => {
    await app?.close();
  });

  async function token(
    values: Record<string, string>,
    client: { clientId: string; secret: string },
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const f = form(values);
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(client.clientId, client.secret) },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  async function clientToken(
    client: { clientId: string; secret: string },
    extra: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    return (await token({ grant_type: 'client_credentials', ...extra }, client)).body;
  }
  const exchange = (
    key: string,
    audience = 'orders',
    extra: Record<string, string> = {},
    client: { clientId: string; secret: string } = GATEWAY_CLIENT,
  ) => token({ grant_type: GRANT_TOKEN_EXCHANGE, subject_token: key, subject_token_type: TOKEN_TYPE_API_KEY, audience, ...extra }, client);

  async function userLogin(): Promise<{ token: string; sub: string }> {
    const email = uniqueEmail('apikey');
    expect((await call(`${app.url}/auth/register`, { body: { email, password: PASSWORD } })).status).toBe(202);
    const login = await call<{ access_token: string }>(`${app.url}/auth/login`, { body: { email, password: PASSWORD } });
    return { token: login.body.access_token, sub: String(decodeJwt(login.body.access_token).sub) };
  }
  const createOwn = (userToken: string, body: Record<string, unknown>) =>
    call<KeyBody & { code?: string; details?: { fields: { field: string }[] } }>(`${app.url}/auth/api-keys`, {
      token: userToken,
      body: { name: 'ci', scopes: ['orders:read'], audiences: ['orders'], ...body },
    });

  it('creates a key shown once, lists it by prefix without the key, and exchanges it for a short token naming the key', async () => {
    const user = await userLogin();
    const created = await createOwn(user.token, {});
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
    const list = await call<{ apiKeys: Record<string, unknown>[] }>(`${app.url}/auth/api-keys`, { token: user.token });
    expect(list.body.apiKeys).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    const res = await exchange(created.body.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'orders:read', address_bound: false });
    const claims = decodeJwt(String(res.body.access_token));
    expect(claims).toMatchObject({ sub: user.sub, aud: ['orders'], akid: created.body.id, client_id: 'gateway', act: { sub: 'gateway' } });
  });

  it('refuses keys wider than their owner: a privileged scope, audience auth, an unknown field (400 naming the field)', async () => {
    const user = await userLogin();
    expect(await createOwn(user.token, { scopes: ['auth:admin'] })).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    const wide = await createOwn(user.token, { audiences: ['auth'] });
    expect(wide.status).toBe(400);
    expect(wide.body.details!.fields.map((f) => f.field)).toEqual(['audiences']);
    const owner = await createOwn(user.token, { ownerType: 'client', ownerId: 'partner' });
    expect(owner.status).toBe(400);
    const cidr = await createOwn(user.token, { allowedCidrs: ['10.0.0.0/33'] });
    expect(cidr.body.details!.fields.map((f) => f.field)).toEqual(['allowedCidrs']);
  });

  it('answers every bad key with the same invalid_grant, a scope it lacks with invalid_scope, an audience with invalid_target', async () => {
    const user = await userLogin();
    const { body } = await createOwn(user.token, {});
    const malformed = await exchange('amk_live_nope');
    const revokedKey = (await createOwn(user.token, {})).body;
    await call(`${app.url}/auth/api-keys/${revokedKey.id}/revoke`, { token: user.token, method: 'POST' });
    const revoked = await exchange(revokedKey.key);
    expect(malformed).toEqual(revoked);
    expect(revoked).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'The API key is not valid' } });
    expect(await exchange(body.key, 'orders', { scope: 'orders:write' })).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(await exchange(body.key, 'profiles')).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('takes an API key only from a client allowed to exchange', async () => {
    const user = await userLogin();
    const { body } = await createOwn(user.token, {});
    expect(await exchange(body.key, 'orders', {}, PARTNER_CLIENT)).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  });

  it("admin creates a client's key bounded by its registration; its token has the client as sub and client_id", async () => {
    const bearer = { token: adminToken };
    const wide = await call(`${app.url}/admin/api-keys`, {
      ...bearer,
      body: { ownerType: 'client', ownerId: 'partner', name: 'p', scopes: ['orders:write'], audiences: ['orders'] },
    });
    expect(wide.status).toBe(400);
    const created = await call<KeyBody>(`${app.url}/admin/api-keys`, {
      ...bearer,
      body: { ownerType: 'client', ownerId: 'partner', name: 'p', scopes: ['orders:read'], audiences: ['orders'] },
    });
    expect(created.status).toBe(201);
    const res = await exchange(created.body.key);
    expect(res.status).toBe(200);
    expect(decodeJwt(String(res.body.access_token))).toMatchObject({ sub: 'partner', client_id: 'partner', akid: created.body.id });
    const listed = await call<{ apiKeys: { id: string }[] }>(`${app.url}/admin/api-keys?ownerType=client&ownerId=partner`, bearer);
    expect(listed.body.apiKeys.map((k) => k.id)).toContain(created.body.id);
    const revoked = await call<KeyBody>(`${app.url}/admin/api-keys/${created.body.id}/revoke`, { ...bearer, method: 'POST' });
    expect(revoked.body.revokedAt).not.toBeNull();
    expect(await exchange(created.body.key)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it("keeps a user's keys their own: another user's key id is 404 api_key_not_found; a service token is 403", async () => {
    const alice = await userLogin();
    const bob = await userLogin();
    const { body } = await createOwn(alice.token, {});
    expect(await call(`${app.url}/auth/api-keys/${body.id}/revoke`, { token: bob.token, method: 'POST' })).toMatchObject({
      status: 404,
      body: { code: 'api_key_not_found' },
    });
    expect((await exchange(body.key)).status).toBe(200);
    const service = (await clientToken(ADMIN_CLIENT, { audience: 'auth', scope: 'auth:admin' })).access_token as string;
    expect(await call(`${app.url}/auth/api-keys`, { token: service })).toMatchObject({
      status: 403,
      body: { code: 'user_token_required' },
    });
    expect(await call(`${app.url}/admin/api-keys`, { token: alice.token })).toMatchObject({ status: 403 });
  });

  it('bounds the rotation grace (400 naming graceSeconds) and refuses rotating a revoked key (409)', async () => {
    const user = await userLogin();
    const { body } = await createOwn(user.token, {});
    const tooLong = await call<{ details: { fields: { field: string }[] } }>(`${app.url}/auth/api-keys/${body.id}/rotate`, {
      token: user.token,
      body: { graceSeconds: 30 * 86400 },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.details.fields.map((f) => f.field)).toEqual(['graceSeconds']);
    const rotated = await call<KeyBody>(`${app.url}/auth/api-keys/${body.id}/rotate`, { token: user.token, body: {} });
    expect(rotated.status).toBe(200);
    // Default grace 0: the old key is revoked at once.
    expect(await exchange(body.key)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await exchange(rotated.body.key)).status).toBe(200);
    expect(await call(`${app.url}/auth/api-keys/${body.id}/rotate`, { token: user.token, body: {} })).toMatchObject({
      status: 409,
      body: { code: 'api_key_not_active' },
    });
  });
});
