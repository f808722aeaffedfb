import { createHash, randomBytes } from 'node:crypto';
import { GRANT_AUTHORIZATION_CODE } from '@authmesh/contracts';
import type { TestApp } from '@authmesh/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { form } from '../apps/auth/test/auth-fixture.js';
import { AuthorizationCodes } from '../apps/auth/src/authorize/authorization-codes.service.js';
import {
  GATEWAY_CLIENT,
  ORDERS_CLIENT,
  call,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './gateway/support/gateway-fixture.js';

/** A public code-flow client whose tokens are for orders (so its ID token is a tempting replay there). */
const APP = {
  clientId: 'id-token-app',
  public: true,
  scopes: ['openid', 'orders:read'],
  audiences: ['orders', 'gateway'],
  grantTypes: [GRANT_AUTHORIZATION_CODE],
  redirectUris: ['http://127.0.0.1:9/cb'],
};

// OpenID Connect: an ID token tells the client who logged in; it is never an access token. Its
// header says `typ: JWT` and every verifier demands `at+jwt` (RFC 9068 §4), so orders and the
// gateway answer 401 token_wrong_type, over HTTP, while the access token issued with it works.
describe('an ID token is refused as an access token by orders and the gateway (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let idToken: string;
  let accessToken: string;

  beforeAll(async () => {
    auth = await startAuth({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT, APP]) });
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url });
    const email = await registerUser(auth.url, 'id-token');
    const userId = decodeJwt((await loginAt(auth.url, email)).access_token).sub!;
    const verifier = randomBytes(32).toString('base64url');
    // The code as the authorization endpoint issues it after a login.
    const code = await auth.app.get(AuthorizationCodes, { strict: false }).issue({
      clientId: APP.clientId,
      redirectUri: APP.redirectUris[0]!,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      userId,
      scope: 'openid orders:read',
      audiences: ['orders', 'gateway'],
      nonce: 'n-1',
      authTime: new Date(),
      ssoSessionId: null,
    });
    const f = form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP.redirectUris[0]!,
      code_verifier: verifier,
      client_id: APP.clientId,
    });
    const res = await fetch(`${auth.url}/oauth/token`, { method: 'POST', body: f.body, headers: f.headers });
    expect(res.status).toBe(200);
    ({ id_token: idToken, access_token: accessToken } = (await res.json()) as { id_token: string; access_token: string });
    expect(decodeProtectedHeader(idToken).typ).toBe('JWT');
  });
  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await profiles?.close();
    await auth?.close();
  });

  it('orders: the access token is served, the ID token is 401 token_wrong_type', async () => {
    expect((await call(`${orders.url}/orders`, { token: accessToken })).status).toBe(200);
    const res = await call(`${orders.url}/orders`, { token: idToken });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'token_wrong_type' });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('the gateway refuses the ID token at the edge: 401 token_wrong_type', async () => {
    const res = await call(`${gateway.url}/api/orders`, { token: idToken });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'token_wrong_type' });
  });
});
