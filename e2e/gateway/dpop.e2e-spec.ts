import { createHash, randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import { GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import {
  type RawResponse,
  type TestApp,
  type TestDpopKey,
  dpopProof,
  freePort,
  hs256DpopProof,
  newDpopKey,
  newTestApp,
  rawGet,
  testAgent,
  unsignedDpopProof,
} from '@authmesh/testing';
import { decodeJwt } from 'jose';
import { AuthorizationCodes } from '../../apps/auth/src/authorize/authorization-codes.service.js';
import { ordersApp } from '../../apps/orders/src/orders.app.js';
import { profilesApp } from '../../apps/profiles/src/profiles.app.js';
import {
  GATEWAY_CLIENT,
  ISSUER,
  ORDERS_CLIENT,
  RecordingProxy,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  verifierEnv,
} from './support/gateway-fixture.js';

const ALGS = 'algs="ES256 EdDSA RS256 PS256"';
/** What a client outside names as `htu` at auth's token endpoint: the public issuer's. */
const TOKEN_HTU = `${ISSUER}/oauth/token`;
/** A public app on the code flow: its tokens are bound to the DPoP key of its token request. */
const SPA = {
  clientId: 'dpop-spa',
  public: true,
  scopes: ['orders:read', 'profiles:read', 'profiles:write'],
  audiences: ['orders', 'profiles'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
  redirectUris: ['http://127.0.0.1:8080/cb'],
};

/**
 * A DPoP-bound token of the SPA for `userId`: a code issued straight into auth's store (the login
 * pages are not what this file tests), redeemed with a proof of `key`, and again with auth's
 * `DPoP-Nonce` when auth asks for it (RFC 9449 §8).
 */
async function spaToken(auth: TestApp, userId: string, key: TestDpopKey, scope: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const code = await auth.app.get(AuthorizationCodes, { strict: false }).issue({
    clientId: SPA.clientId,
    redirectUri: SPA.redirectUris[0]!,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    userId,
    scope,
    audiences: ['orders', 'profiles'],
    nonce: null,
    authTime: new Date(),
    ssoSessionId: null,
  });
  const redeem = async (nonce?: string): Promise<Response> =>
    fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await dpopProof(key, { htm: 'POST', htu: TOKEN_HTU, claims: nonce === undefined ? {} : { nonce } }),
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: SPA.redirectUris[0]!,
        client_id: SPA.clientId,
      }).toString(),
    });
  let res = await redeem();
  const nonce = res.headers.get('dpop-nonce');
  if (res.status === 400 && nonce !== null) res = await redeem(nonce);
  const body = (await res.json()) as { access_token?: string; token_type?: string };
  if (res.status !== 200 || body.token_type !== 'DPoP') throw new Error(`code redemption answered ${res.status} ${JSON.stringify(body)}`);
  return body.access_token!;
}

/**
 * DPoP through the gateway (docs/decisions/010-dpop-gateway-and-replay.md): real auth, orders and
 * profiles; a pass-through proxy in front of orders records what the gateway sends it (what a
 * compromised sidecar or a header log would hold). The client's proof is checked against the
 * gateway's public origin; orders receives `Authorization: DPoP` with a token bound to the
 * gateway's key and the gateway's proof for orders' URL; what it received is refused when
 * replayed from outside, at orders directly and at the gateway.
 */
describe('DPoP through the gateway (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let tap: RecordingProxy;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let agent: Agent;
  let client: TestDpopKey;
  let thief: TestDpopKey;
  let userId: string;
  let bearerToken: string;

  beforeAll(async () => {
    const authPort = await freePort();
    auth = await startAuth({
      PORT: String(authPort),
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT, SPA]),
      // The gateway calls auth at AUTH_URL: its proofs name that token endpoint.
      AUTH_DPOP_TOKEN_URLS: `http://127.0.0.1:${authPort}/oauth/token`,
    });
    const [ordersPort, profilesPort] = [await freePort(), await freePort()];
    profiles = await newTestApp(profilesApp, {
      ...verifierEnv(auth),
      PORT: String(profilesPort),
      JWT_DPOP_ORIGINS: `http://127.0.0.1:${profilesPort}`,
    });
    // Orders is reached only through the tap: the gateway's proofs name the tap's origin.
    tap = await RecordingProxy.start(`http://127.0.0.1:${ordersPort}`);
    orders = await newTestApp(ordersApp, {
      ...verifierEnv(auth),
      PORT: String(ordersPort),
      JWT_DPOP_ORIGINS: tap.url,
      AUTH_TOKEN_URL: `${auth.url}/oauth/token`,
      ORDERS_CLIENT_SECRET: ORDERS_CLIENT.secret,
      PROFILES_URL: profiles.url,
    });
    gateway = await startGateway({ auth, ordersUrl: tap.url, profilesUrl: profiles.url });
    agent = testAgent();
    client = await newDpopKey('ES256');
    thief = await newDpopKey('ES256');
    const email = await registerUser(auth.url, 'gw-dpop');
    const login = await loginAt(auth.url, email);
    bearerToken = login.access_token;
    userId = decodeJwt(bearerToken).sub!;
  });
  afterAll(async () => {
    agent?.destroy();
    await gateway?.close();
    await tap?.close();
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  /** A DPoP-bound user token (the SPA's code flow, its token request proven by `client`). */
  const boundToken = (key = client): Promise<string> => spaToken(auth, userId, key, 'orders:read profiles:read profiles:write');

  const viaGateway = (path: string, token: string, proof: string | undefined, scheme = 'DPoP'): Promise<RawResponse> =>
    rawGet(
      `${gateway.url}${path}`,
      [['authorization', `${scheme} ${token}`], ...(proof === undefined ? [] : ([['dpop', proof]] as [string, string][]))],
      agent,
    );
  const proofAt = (
    path: string,
    token: string,
    more: { htm?: string; htu?: string; iat?: number; accessToken?: string } = {},
    key = client,
  ) =>
    dpopProof(key, {
      htm: more.htm ?? 'GET',
      htu: more.htu ?? `${gateway.origin}${path}`,
      iat: more.iat,
      accessToken: more.accessToken ?? token,
    });

  function expectDpopRefusal(res: RawResponse, code: string, error = 'invalid_dpop_proof'): void {
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code });
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", ${ALGS}$`));
  }

  it('serves a DPoP-bound token with a valid proof at /api/orders and /api/profiles (200)', async () => {
    const token = await boundToken();
    const o = await viaGateway('/api/orders', token, await proofAt('/api/orders', token));
    expect(o.status).toBe(200);
    const p = await viaGateway('/api/profiles/me', token, await proofAt('/api/profiles/me', token));
    expect(p.status).toBe(200);
  });

  it("forwards to orders a token bound to the gateway's key, as DPoP with the gateway's proof for orders' URL", async () => {
    const token = await boundToken();
    const before = tap.seen.length;
    expect((await viaGateway('/api/orders', token, await proofAt('/api/orders', token))).status).toBe(200);
    const seen = tap.seen[before]!;
    const [scheme, internal] = String(seen.authorization).split(' ');
    expect(scheme).toBe('DPoP');
    const claims = decodeJwt(internal!);
    expect(claims.aud).toEqual(['orders']);
    expect((claims.cnf as { jkt: string }).jkt).not.toBe(client.jkt);
    expect(claims.act).toEqual({ sub: 'gateway' });
    const proofClaims = decodeJwt(String(seen.dpop));
    expect(proofClaims).toMatchObject({ htm: 'GET', htu: `${tap.url}/orders` });
  });

  it('still serves a token issued without DPoP as Bearer', async () => {
    expect((await viaGateway('/api/orders', bearerToken, undefined, 'Bearer')).status).toBe(200);
  });

  it('refuses the bound token without a proof, and as Bearer', async () => {
    const token = await boundToken();
    expectDpopRefusal(await viaGateway('/api/orders', token, undefined), 'dpop_proof_missing');
    expectDpopRefusal(await viaGateway('/api/orders', token, undefined, 'Bearer'), 'dpop_token_as_bearer', 'invalid_token');
  });

  it.each([
    ['another method', { htm: 'POST' }, 'dpop_proof_htm_mismatch'],
    ["orders' own URL (a proof for another server)", { htu: 'ORDERS' }, 'dpop_proof_htu_mismatch'],
    ['another path', { htu: 'PROFILES' }, 'dpop_proof_htu_mismatch'],
    ['a stale iat', { iat: Math.floor(Date.now() / 1000) - 600 }, 'dpop_proof_stale'],
    ['a wrong ath', { accessToken: 'another.access.token' }, 'dpop_proof_ath_mismatch'],
  ])(
    'refuses at the gateway a proof for %s',
    async (_what, more: { htm?: string; htu?: string; iat?: number; accessToken?: string }, code) => {
      const token = await boundToken();
      const htu = more.htu === 'ORDERS' ? `${tap.url}/orders` : more.htu === 'PROFILES' ? `${gateway.origin}/api/profiles/me` : undefined;
      expectDpopRefusal(await viaGateway('/api/orders', token, await proofAt('/api/orders', token, { ...more, htu })), code);
    },
  );

  it('refuses at the gateway a proof by another key, a replayed proof, none/HS256 and a private key in jwk', async () => {
    const token = await boundToken();
    expectDpopRefusal(await viaGateway('/api/orders', token, await proofAt('/api/orders', token, {}, thief)), 'dpop_proof_key_mismatch');
    const proof = await proofAt('/api/orders', token);
    expect((await viaGateway('/api/orders', token, proof)).status).toBe(200);
    expectDpopRefusal(await viaGateway('/api/orders', token, proof), 'dpop_proof_replayed');
    const target = { htm: 'GET', htu: `${gateway.origin}/api/orders`, accessToken: token };
    expectDpopRefusal(await viaGateway('/api/orders', token, unsignedDpopProof(client, target)), 'dpop_proof_bad_algorithm');
    expectDpopRefusal(await viaGateway('/api/orders', token, hs256DpopProof(client, target)), 'dpop_proof_bad_algorithm');
    const leaky = await dpopProof(client, { ...target, header: { jwk: client.privateJwk } });
    expectDpopRefusal(await viaGateway('/api/orders', token, leaky), 'dpop_proof_private_key');
  });

  it("refuses the DPoP scheme on auth's /auth/* routes up front (dpop_not_proxied): DPoP clients call auth directly", async () => {
    const token = await boundToken();
    const res = await viaGateway('/auth/sessions', token, await proofAt('/auth/sessions', token));
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 400, code: 'dpop_not_proxied' });
  });

  it('refuses from outside the internal token captured between the gateway and orders', async () => {
    const token = await boundToken();
    const before = tap.seen.length;
    expect((await viaGateway('/api/orders', token, await proofAt('/api/orders', token))).status).toBe(200);
    const seen = tap.seen[before]!;
    const internal = String(seen.authorization).replace(/^DPoP /, '');
    const capturedProof = String(seen.dpop);
    const atOrders = (headers: [string, string][]) => rawGet(`${orders.url}/orders`, headers, agent);

    // At orders directly: the captured proof is spent, a proof of the thief's key is not the gateway's, Bearer is refused.
    expectDpopRefusal(
      await atOrders([
        ['authorization', `DPoP ${internal}`],
        ['dpop', capturedProof],
      ]),
      'dpop_proof_replayed',
    );
    const thiefProof = await dpopProof(thief, { htm: 'GET', htu: `${tap.url}/orders`, accessToken: internal });
    expectDpopRefusal(
      await atOrders([
        ['authorization', `DPoP ${internal}`],
        ['dpop', thiefProof],
      ]),
      'dpop_proof_key_mismatch',
    );
    expectDpopRefusal(await atOrders([['authorization', `Bearer ${internal}`]]), 'dpop_token_as_bearer', 'invalid_token');

    // At the gateway: the captured proof names orders' URL, not the gateway's; Bearer is refused.
    expectDpopRefusal(await viaGateway('/api/orders', internal, capturedProof), 'dpop_proof_htu_mismatch');
    expectDpopRefusal(await viaGateway('/api/orders', internal, undefined, 'Bearer'), 'dpop_token_as_bearer', 'invalid_token');

    // At auth: re-exchanged with the gateway's own client secret and a proof of the thief's key, it
    // is not rebound to the thief (an exchanged token is never rebound, even for the edge).
    const reExchange = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${GATEWAY_CLIENT.clientId}:${GATEWAY_CLIENT.secret}`).toString('base64')}`,
        dpop: await dpopProof(thief, { htm: 'POST', htu: TOKEN_HTU }),
      },
      body: new URLSearchParams({
        grant_type: GRANT_TOKEN_EXCHANGE,
        subject_token: internal,
        subject_token_type: TOKEN_TYPE_ACCESS_TOKEN,
        audience: 'orders',
      }).toString(),
    });
    const refused = (await reExchange.json()) as Record<string, unknown>;
    expect({ status: reExchange.status, error: refused.error, code: refused.code }).toEqual({
      status: 400,
      error: 'invalid_grant',
      code: 'dpop_proof_key_mismatch',
    });
  });
});

/**
 * Auth requiring its server nonce in every proof (AUTH_DPOP_REQUIRE_NONCE, RFC 9449 §8): the
 * gateway's exchange gets `use_dpop_nonce` with a `DPoP-Nonce` first, retries once with it, and
 * the request still goes through.
 */
describe('DPoP through the gateway when auth requires its nonce (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let agent: Agent;
  let client: TestDpopKey;
  let userId: string;

  beforeAll(async () => {
    const [authPort, ordersPort] = [await freePort(), await freePort()];
    auth = await startAuth({
      PORT: String(authPort),
      AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT, SPA]),
      AUTH_DPOP_TOKEN_URLS: `http://127.0.0.1:${authPort}/oauth/token`,
      AUTH_DPOP_REQUIRE_NONCE: 'true',
    });
    orders = await newTestApp(ordersApp, {
      ...verifierEnv(auth),
      PORT: String(ordersPort),
      JWT_DPOP_ORIGINS: `http://127.0.0.1:${ordersPort}`,
      AUTH_TOKEN_URL: `${auth.url}/oauth/token`,
      ORDERS_CLIENT_SECRET: ORDERS_CLIENT.secret,
      PROFILES_URL: 'http://127.0.0.1:9',
    });
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: 'http://127.0.0.1:9' });
    agent = testAgent();
    client = await newDpopKey('ES256');
    userId = decodeJwt((await loginAt(auth.url, await registerUser(auth.url, 'gw-nonce'))).access_token).sub!;
  });
  afterAll(async () => {
    agent?.destroy();
    await gateway?.close();
    await orders?.close();
    await auth?.close();
  });

  it("retries the exchange with auth's nonce and forwards the request (200)", async () => {
    // The client's own nonce dance at auth (as every DPoP client library does it), then the gateway's.
    const token = await spaToken(auth, userId, client, 'orders:read');
    const res = await rawGet(
      `${gateway.url}/api/orders`,
      [
        ['authorization', `DPoP ${token}`],
        ['dpop', await dpopProof(client, { htm: 'GET', htu: `${gateway.origin}/api/orders`, accessToken: token })],
      ],
      agent,
    );
    expect(res.status).toBe(200);
  });
});
