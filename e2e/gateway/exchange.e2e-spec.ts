import { GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import type { TestApp } from '@authmesh/testing';
import { requestsServed } from '@authmesh/testing';
import { decodeJwt } from 'jose';
import { basic, form } from '../../apps/auth/test/auth-fixture.js';
import { Browser } from './support/browser.js';
import {
  ADDRESS,
  CART,
  ORDERS_CLIENT,
  RecordingProxy,
  call,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './support/gateway-fixture.js';

const EXCHANGE = GRANT_TOKEN_EXCHANGE;
const ACCESS_TOKEN_TYPE = TOKEN_TYPE_ACCESS_TOKEN;

// Token exchange (RFC 8693), the default of every /api route: real auth, orders and profiles; a recording proxy
// in front of orders shows the token orders actually received.
describe('gateway token exchange, the default for /api routes (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let recorder: RecordingProxy;
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    recorder = await RecordingProxy.start(orders.url);
    // Exchange is the default for every /api route: no setting needed (the fixture passes the gateway's secret).
    gateway = await startGateway({ auth, ordersUrl: recorder.url, profilesUrl: profiles.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await recorder?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  const whoami = (service: TestApp, token: string) => call<{ code?: string; audience?: string[] }>(`${service.url}/whoami`, { token });
  const lastTokenAtOrders = (): string => recorder.seen[recorder.seen.length - 1]!.authorization!.replace(/^Bearer /, '');

  it('forwards to orders a token for audience orders only, acting for the user, with no wider scopes', async () => {
    const user = await loginAt(auth.url, await registerUser(auth.url, 'exchange'));
    const res = await call(`${gateway.url}/api/orders`, { token: user.access_token });
    expect(res.status).toBe(200);
    const exchanged = lastTokenAtOrders();
    expect(exchanged).not.toBe(user.access_token);
    const claims = decodeJwt(exchanged);
    const subject = decodeJwt(user.access_token);
    expect(claims.aud).toEqual(['orders']);
    expect(claims.sub).toBe(subject.sub);
    expect(claims.act).toEqual({ sub: 'gateway' });
    expect(claims.exp).toBeLessThanOrEqual(subject.exp!);
    const subjectScopes = String(subject.scope).split(' ');
    for (const scope of String(claims.scope).split(' ')) expect(subjectScopes).toContain(scope);

    // Accepted by orders, refused by profiles (not its audience).
    expect((await whoami(orders, exchanged)).status).toBe(200);
    expect(await whoami(profiles, exchanged)).toMatchObject({ status: 401, body: { code: 'token_wrong_audience' } });
  });

  it('caches the exchanged token: N requests with one user token cost auth one exchange', async () => {
    const user = await loginAt(auth.url, await registerUser(auth.url, 'exchange-cache'));
    const before = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
    const answers = await Promise.all(Array.from({ length: 10 }, () => call(`${gateway.url}/api/orders`, { token: user.access_token })));
    for (let i = 0; i < 10; i++) expect((await call(`${gateway.url}/api/orders`, { token: user.access_token })).status).toBe(200);
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(await requestsServed(auth.managementUrl, 'POST', '/oauth/token')).toBe(before + 1);
    expect(new Set(recorder.seen.slice(-20).map((h) => h.authorization)).size).toBe(1);
  });

  it('exchanges a session’s token too: a cookie-only client creates an order with an exchanged token', async () => {
    const browser = new Browser(gateway);
    expect((await browser.login(await registerUser(auth.url, 'exchange-bff'))).status).toBe(200);
    expect((await browser.send('PUT', '/api/profiles/me', { displayName: 'X', shippingAddress: ADDRESS })).status).toBe(200);
    const created = await browser.send('POST', '/api/orders', CART);
    expect(created.status).toBe(201);
    expect(decodeJwt(lastTokenAtOrders())).toMatchObject({ aud: ['orders'], act: { sub: 'gateway' } });
  });

  it('exchanges on /api/profiles too (every /api route by default): profiles serves the user with a token for profiles alone', async () => {
    const user = await loginAt(auth.url, await registerUser(auth.url, 'exchange-profiles'));
    const before = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
    const res = await call<{ userId?: string }>(`${gateway.url}/api/profiles/me`, { token: user.access_token });
    expect(res.status).toBe(200);
    expect(await requestsServed(auth.managementUrl, 'POST', '/oauth/token')).toBe(before + 1);
  });

  it('does not let a client without the grant exchange a token (auth refuses it)', async () => {
    const user = await loginAt(auth.url, await registerUser(auth.url, 'exchange-other'));
    const { headers, body } = form({
      grant_type: EXCHANGE,
      subject_token: user.access_token,
      subject_token_type: ACCESS_TOKEN_TYPE,
      audience: 'profiles',
    });
    const res = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: { ...headers, authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
      body,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unauthorized_client' });
  });
});
