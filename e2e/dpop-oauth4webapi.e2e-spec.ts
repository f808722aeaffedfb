import { type TestApp, freePort, newTestApp } from '@authmesh/testing';
import * as oauth from 'oauth4webapi';
import { ISSUER, newAuthApp } from '../apps/auth/test/auth-fixture.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

/** A service client that may get tokens for orders. */
const CLIENT = { clientId: 'o4w-dpop', secret: 'o4w-dpop-secret-0123456789AbCdEfGhIjKl', scopes: ['orders:read'], audiences: ['orders'] };

/**
 * An independent DPoP client (oauth4webapi, which implements RFC 9449 as a client: its own key
 * pair, a proof per request, the DPoP-Nonce retry) obtains a DPoP-bound token from auth and uses it
 * at orders. Nothing on the client side is authmesh code.
 */
describe('oauth4webapi obtains and uses a DPoP-bound token against auth and orders (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let as: oauth.AuthorizationServer;

  beforeAll(async () => {
    const [authPort, ordersPort] = [await freePort(), await freePort()];
    const tokenEndpoint = `http://127.0.0.1:${authPort}/oauth/token`;
    auth = await newAuthApp({ PORT: String(authPort), AUTH_SEED_CLIENTS: JSON.stringify([CLIENT]), AUTH_DPOP_TOKEN_URLS: tokenEndpoint });
    orders = await newTestApp(ordersApp, {
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
      ...UNUSED_PROFILES_CLIENT_ENV,
      PORT: String(ordersPort),
      JWT_DPOP_ORIGINS: `http://127.0.0.1:${ordersPort}`,
    });
    // The issuer is auth's public name; the test reaches it on loopback.
    as = { issuer: ISSUER, token_endpoint: tokenEndpoint };
  });
  afterAll(async () => {
    await orders?.close();
    await auth?.close();
  });

  /** oauth4webapi's documented pattern: retry once when the server asks for its nonce. */
  async function withNonceRetry<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (oauth.isDPoPNonceError(e)) return call();
      throw e;
    }
  }

  it('gets token_type DPoP by client credentials and calls orders with a proof per request; the same token as Bearer is refused', async () => {
    const client: oauth.Client = { client_id: CLIENT.clientId };
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const insecure = { [oauth.allowInsecureRequests]: true };
    const tokens = await withNonceRetry(async () => {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(CLIENT.secret),
        { audience: 'orders', scope: 'orders:read' },
        { DPoP, ...insecure },
      );
      return oauth.processClientCredentialsResponse(as, client, response);
    });
    expect(tokens.token_type).toBe('dpop');

    for (let i = 0; i < 2; i++) {
      const res = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${orders.url}/whoami`), undefined, undefined, {
        DPoP,
        ...insecure,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { clientId: string }).clientId).toBe(CLIENT.clientId);
    }

    const asBearer = await fetch(`${orders.url}/whoami`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect({ status: asBearer.status, code: ((await asBearer.json()) as { code: string }).code }).toEqual({
      status: 401,
      code: 'dpop_token_as_bearer',
    });
  });
});
