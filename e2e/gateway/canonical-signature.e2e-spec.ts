import {
  type TestApp,
  freePort,
  newTestApp,
  getWithToken,
  testAgent,
  JwksTestServer,
  nonCanonicalVariants,
  withUrlSafeSignature,
  generateSigningKey,
  jwksOf,
  accessClaims,
  signToken,
} from '@authmesh/testing';
import type { Agent } from 'node:http';
import { ordersApp } from '../../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../../apps/orders/test/support/profiles-client-env.js';
import { gatewayApp } from '../../apps/gateway/src/gateway.app.js';
import { RecordingUpstream, deadUrl, uniquePrefix } from './support/gateway-fixture.js';

/**
 * Finding 8 (token malleability): Node's base64url decoder turns `+`/`/`, `=` padding and
 * non-zero unused trailing bits into the same signature bytes, so one token had several spellings
 * that all verified (auth's jose refused them; orders and the gateway did not). Each spelling is
 * sent over HTTP to a real orders app and to a real gateway: 401 token_malformed, while the
 * canonical token is 200.
 */
describe('canonical signatures only (e2e, RFC 7515 §2)', () => {
  const key = generateSigningKey('canonical-key');
  let jwks: JwksTestServer;
  let orders: TestApp;
  let gateway: TestApp;
  let upstream: RecordingUpstream;
  let agent: Agent;
  let token: string;

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    upstream = await RecordingUpstream.start();
    const port = await freePort();
    [orders, gateway] = await Promise.all([
      newTestApp(ordersApp, { AUTH_ISSUER: jwks.url, ...UNUSED_PROFILES_CLIENT_ENV }),
      newTestApp(gatewayApp, {
        AUTH_ISSUER: jwks.url,
        PORT: String(port),
        GATEWAY_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
        AUTH_URL: jwks.url,
        ORDERS_URL: upstream.url,
        PROFILES_URL: await deadUrl(),
        GATEWAY_REDIS_KEY_PREFIX: uniquePrefix('canonical'),
        // No auth behind this gateway (a JWKS server stands in): its routes forward the token as sent.
        GATEWAY_FORWARD_UNCHANGED_ROUTES: 'orders profiles',
        // Required (the gateway is a confidential client); unused here, nothing logs in.
        GATEWAY_CLIENT_SECRET: 'gateway-secret-0123456789AbCdEfGhIjKl',
      }),
    ]);
    agent = testAgent();
    const now = Math.floor(Date.now() / 1000);
    token = withUrlSafeSignature(() => signToken(key, accessClaims(jwks.url, ['orders'], now, { scope: 'orders:read' })));
  });
  afterAll(async () => {
    agent?.destroy();
    await gateway?.close();
    await orders?.close();
    await upstream?.close();
    await jwks?.close();
  });

  const targets = (): [string, string][] => [
    ['orders', `${orders.url}/whoami`],
    ['the gateway', `${gateway.url}/api/orders`],
  ];

  it('accepts the canonical token at orders and at the gateway', async () => {
    for (const [, url] of targets()) expect((await getWithToken(url, token, agent)).status).toBe(200);
  });

  it.each(['orders', 'the gateway'])('refuses every other spelling of the signature at %s with 401 token_malformed', async (target) => {
    const url = targets().find(([name]) => name === target)![1];
    // The canonical token first, so a variant cannot lean on a cold cache.
    expect((await getWithToken(url, token, agent)).status).toBe(200);
    for (const [name, variant] of nonCanonicalVariants(token)) {
      const res = await getWithToken(url, variant, agent);
      expect({ name, status: res.status, code: res.json?.code }).toEqual({ name, status: 401, code: 'token_malformed' });
    }
  });
});
