import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import { GATEWAY_CLIENT as SHARED_GATEWAY_CLIENT, basic, form } from '../apps/auth/test/auth-fixture.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';
import { call } from './support/http.js';

/** An ops client like authctl: scope auth:admin, audience auth. */
const ADMIN_CLIENT = {
  clientId: 'ops-admin',
  secret: 'ops-admin-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:admin'],
  audiences: ['auth'],
};
// This file disables its exchanging client. Subjects (a client's is its id) are revoked in the one
// Redis every test file shares, so it uses an id of its own: disabling `gateway` would also revoke
// other files' `gateway` tokens for the disable's in-flight margin.
const GATEWAY_CLIENT = { ...SHARED_GATEWAY_CLIENT, clientId: `gw-${randomBytes(4).toString('hex')}` };

/** A second exchanging client, so that disabling the gateway can be shown to reach the gateway's tokens only. */
const OTHER_EXCHANGER = {
  clientId: 'edge-b',
  secret: 'edge-b-secret-0123456789AbCdEfGhIjKl',
  scopes: [] as string[],
  audiences: ['orders'],
  grantTypes: [GRANT_TOKEN_EXCHANGE],
};
type Client = { clientId: string; secret: string };

interface Session {
  userId: string;
  access: string;
  refresh: string;
}

// An exchanged token (RFC 8693) has a jti and client_id of its own: only auth's link to its subject
// token makes every revocation of that jti (logout, RFC 7009, refresh-token reuse, admin) reach it,
// and disabling the exchanging client revoke it. Real auth and orders over sockets, real Redis.
describe('a token exchanged at auth dies with the token it was exchanged from, and with its client', () => {
  let auth: TestApp;
  let orders: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    auth = await newTestApp(authApp, {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: 'http://auth.test',
      AUTH_SEED_CLIENTS: JSON.stringify([GATEWAY_CLIENT, OTHER_EXCHANGER, ADMIN_CLIENT]),
    });
    orders = await newTestApp(ordersApp, {
      AUTH_ISSUER: 'http://auth.test',
      AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      ...UNUSED_PROFILES_CLIENT_ENV,
    });
    const admin = await call<{ access_token: string }>(`${auth.url}/oauth/token`, {
      headers: { authorization: basic(ADMIN_CLIENT.clientId, ADMIN_CLIENT.secret) },
      body: { grant_type: 'client_credentials', audience: 'auth', scope: 'auth:admin' },
    });
    expect(admin.status).toBe(200);
    adminToken = admin.body.access_token;
  });
  afterAll(async () => {
    await orders?.close();
    await auth?.close();
  });

  async function login(label: string): Promise<Session> {
    const email = `${label}-${randomBytes(5).toString('hex')}@example.com`;
    const password = 'a long enough passphrase';
    const reg = await call(`${auth.url}/auth/register`, { body: { email, password } });
    expect(reg.status).toBe(202);
    const res = await call<{ access_token: string; refresh_token: string }>(`${auth.url}/auth/login`, { body: { email, password } });
    expect(res.status).toBe(200);
    // Registration answers without an id (no enumeration): the user id is the token's `sub`.
    return { userId: decodeJwt(res.body.access_token).sub!, access: res.body.access_token, refresh: res.body.refresh_token };
  }

  async function exchange(subjectToken: string, client: Client = GATEWAY_CLIENT): Promise<string> {
    const res = await call<{ access_token: string }>(`${auth.url}/oauth/token`, {
      headers: { authorization: basic(client.clientId, client.secret) },
      body: {
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: TOKEN_TYPE_ACCESS_TOKEN,
        audience: 'orders',
      },
    });
    if (res.status !== 200) throw new Error(`token exchange answered ${res.status}: ${JSON.stringify(res.body)}`);
    // Accepted by orders before anything is revoked: what follows is the revocation's doing.
    expect((await call(`${orders.url}/whoami`, { token: res.body.access_token })).status).toBe(200);
    return res.body.access_token;
  }

  const claims = (token: string): { jti: string; exp: number } =>
    JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };

  /** Waits for the revocation to reach orders (the revocation stream, milliseconds), then asserts the RFC 6750 answer. */
  async function expectRefusedByOrders(token: string): Promise<void> {
    await waitFor(async () => (await call(`${orders.url}/whoami`, { token })).status === 401, 3000, 10);
    const res = await call(`${orders.url}/whoami`, { token });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_revoked' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  }
  const acceptedByOrders = async (token: string): Promise<number> => (await call(`${orders.url}/whoami`, { token })).status;

  const logout = (access: string): Promise<{ status: number }> => call(`${auth.url}/auth/logout`, { token: access, body: {} });

  it('revokes the exchanged token when the user logs out with the subject token', async () => {
    const user = await login('x-logout');
    const exchanged = await exchange(user.access);
    expect((await logout(user.access)).status).toBe(200);
    await expectRefusedByOrders(exchanged);
  });

  it("does not revoke a token exchanged from another user's token when one user logs out", async () => {
    const [alice, bob] = await Promise.all([login('x-alice'), login('x-bob')]);
    const [fromAlice, fromBob] = await Promise.all([exchange(alice.access), exchange(bob.access)]);
    expect((await logout(alice.access)).status).toBe(200);
    await expectRefusedByOrders(fromAlice);
    // Both would have been published in the same delivery: by now Bob's would be refused too.
    expect(await acceptedByOrders(fromBob)).toBe(200);
    expect(await acceptedByOrders(bob.access)).toBe(200);
  });

  it('revokes the exchanged token when the subject token is revoked with RFC 7009 /oauth/revoke', async () => {
    const user = await login('x-7009');
    const exchanged = await exchange(user.access);
    // The first-party public client names itself (RFC 7009 §2.1); the subject token is its own.
    const body = form({ token: user.access, token_type_hint: 'access_token', client_id: 'authmesh' });
    const res = await fetch(`${auth.url}/oauth/revoke`, { method: 'POST', ...body });
    expect(res.status).toBe(200);
    await expectRefusedByOrders(exchanged);
  });

  it("revokes the exchanged token when reuse of a refresh token revokes the subject token's family", async () => {
    const user = await login('x-reuse');
    const exchanged = await exchange(user.access);
    const refresh = (): Promise<{ status: number; body: Record<string, unknown> }> =>
      call(`${auth.url}/oauth/token`, { body: { grant_type: 'refresh_token', refresh_token: user.refresh } });
    expect((await refresh()).status).toBe(200);
    const reuse = await refresh();
    expect({ status: reuse.status, error: reuse.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
    await expectRefusedByOrders(exchanged);
  });

  it("revokes the exchanged token when an admin revokes the subject token's jti (POST /admin/revocations)", async () => {
    const user = await login('x-admin');
    const exchanged = await exchange(user.access);
    const { jti, exp } = claims(user.access);
    const res = await call(`${auth.url}/admin/revocations`, { token: adminToken, body: { jti, exp } });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { revoked: 'jti' } });
    await expectRefusedByOrders(exchanged);
  });

  it('revokes a token exchanged from an exchanged token when the first subject token is revoked (transitively)', async () => {
    const user = await login('x-chain');
    const first = await exchange(user.access);
    const second = await exchange(first);
    const third = await exchange(second);
    expect((await logout(user.access)).status).toBe(200);
    await expectRefusedByOrders(first);
    await expectRefusedByOrders(second);
    await expectRefusedByOrders(third);
  });

  it('revokes what was exchanged from an exchanged token when that one is revoked, but not its own subject token', async () => {
    const user = await login('x-middle');
    const first = await exchange(user.access);
    const second = await exchange(first);
    const { jti, exp } = claims(first);
    expect((await call(`${auth.url}/admin/revocations`, { token: adminToken, body: { jti, exp } })).status).toBe(200);
    await expectRefusedByOrders(second);
    expect(await acceptedByOrders(user.access)).toBe(200);
  });

  // Last: it disables the gateway client for the rest of this file.
  it('refuses every token the gateway exchanged once the gateway client is disabled, and no one else’s', async () => {
    const [alice, bob] = await Promise.all([login('x-gw-alice'), login('x-gw-bob')]);
    const byGateway = [await exchange(alice.access), await exchange(bob.access)];
    byGateway.push(await exchange(byGateway[0]!));
    const byOtherClient = await exchange(alice.access, OTHER_EXCHANGER);
    const res = await call(`${auth.url}/admin/clients/${GATEWAY_CLIENT.clientId}/disable`, { token: adminToken, body: {} });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { clientId: GATEWAY_CLIENT.clientId, enabled: false } });
    for (const token of byGateway) await expectRefusedByOrders(token);
    // The users' own tokens and another client's exchanged token are untouched.
    expect(await acceptedByOrders(alice.access)).toBe(200);
    expect(await acceptedByOrders(bob.access)).toBe(200);
    expect(await acceptedByOrders(byOtherClient)).toBe(200);
    // And the gateway can exchange no more (RFC 6749 §5.2 invalid_client).
    await expect(exchange(bob.access)).rejects.toThrow(/answered 401/);
  });
});
