import { randomBytes } from 'node:crypto';
import { newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { SessionRevoker } from '../apps/auth/src/revocation/session-revoker.service.js';
import { AccessTokenIssuer } from '../apps/auth/src/tokens/access-token.issuer.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

// The whole path over real sockets: auth's revocation endpoints → Redis → the mirrors of orders
// and profiles. Nothing is written to the store by the test itself.
describe('revocations made at auth are refused by orders and profiles', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  const password = 'long enough password!';

  beforeAll(async () => {
    auth = await newTestApp(authApp, { AUTH_KEK: randomBytes(32).toString('base64'), AUTH_ISSUER: 'http://auth.test' });
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

  const json = { 'content-type': 'application/json' };
  async function login(email: string): Promise<string> {
    const res = await fetch(`${auth.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  async function newUser(): Promise<{ email: string; token: string }> {
    const email = `r-${randomBytes(5).toString('hex')}@example.com`;
    await fetch(`${auth.url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    return { email, token: await login(email) };
  }
  const whoami = async (app: TestApp, token: string): Promise<{ status: number; code?: string }> => {
    const res = await fetch(`${app.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };
  const whoamiBody = async (app: TestApp, token: string): Promise<unknown> =>
    (await fetch(`${app.url}/whoami`, { headers: { authorization: `Bearer ${token}` } })).json();
  const refusedEverywhere = async (token: string): Promise<boolean> =>
    (await whoami(orders, token)).code === 'token_revoked' && (await whoami(profiles, token)).code === 'token_revoked';

  it('refuses a logged-out access token at orders and at profiles on the next requests', async () => {
    const { token } = await newUser();
    expect((await whoami(orders, token)).status).toBe(200);
    expect((await whoami(profiles, token)).status).toBe(200);
    const logout = await fetch(`${auth.url}/auth/logout`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(logout.status).toBe(200);
    // Propagation is asynchronous (the revocation stream); the bench measures it (p99 well under 100 ms).
    await waitFor(() => refusedEverywhere(token), 2000, 10);
    expect(await whoami(orders, token)).toEqual({ status: 401, code: 'token_revoked' });
    expect(await whoami(profiles, token)).toEqual({ status: 401, code: 'token_revoked' });
  });

  it('logout-all makes every token of the user fail while another user’s keep working', async () => {
    const a = await newUser();
    const a2 = await login(a.email);
    const b = await newUser();
    const res = await fetch(`${auth.url}/auth/logout-all`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${a.token}` },
      body: '{}',
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await refusedEverywhere(a.token)) && (await refusedEverywhere(a2)), 2000, 10);
    expect((await whoami(orders, b.token)).status).toBe(200);
    expect((await whoami(profiles, b.token)).status).toBe(200);
  });

  it('a login in the same second as a logout-all gets a token that works (iat is whole seconds)', async () => {
    const a = await newUser();
    // Start at the top of a second so logout-all and the next login surely share it.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
    const res = await fetch(`${auth.url}/auth/logout-all`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${a.token}` },
      body: '{}',
    });
    expect(res.status).toBe(200);
    await waitFor(() => refusedEverywhere(a.token), 2000, 10);
    const fresh = await login(a.email);
    expect(await whoami(orders, fresh)).toEqual({ status: 200, code: undefined });
    expect(await whoami(profiles, fresh)).toEqual({ status: 200, code: undefined });
  });

  it('refuses a token issued a moment after an account disable (a login that was already past the enabled check)', async () => {
    const a = await newUser();
    const sub = ((await whoamiBody(orders, a.token)) as { sub: string }).sub;
    await auth.app.get(SessionRevoker).changeAndRevokeSubject(sub, 'account_disabled', async () => undefined);
    await waitFor(() => refusedEverywhere(a.token), 2000, 10);
    await new Promise((r) => setTimeout(r, 1100)); // the in-flight request signs in a later second
    const late = await auth.app
      .get(AccessTokenIssuer)
      .issue({ sub, clientId: 'authmesh', audience: ['orders', 'profiles'], scope: 'orders:read' });
    expect(await whoami(orders, late.token)).toEqual({ status: 401, code: 'token_revoked' });
    expect(await whoami(profiles, late.token)).toEqual({ status: 401, code: 'token_revoked' });
  });
});
