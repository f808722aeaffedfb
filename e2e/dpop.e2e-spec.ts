import type { Agent } from 'node:http';
import {
  type RawResponse,
  type TestApp,
  type TestDpopKey,
  JwksTestServer,
  TcpProxy,
  accessClaims,
  dpopProof,
  freePort,
  generateSigningKey,
  hs256DpopProof,
  jwksOf,
  newDpopKey,
  newTestApp,
  rawGet,
  signToken,
  testAgent,
  testRedisUrl,
  unsignedDpopProof,
} from '@authmesh/testing';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';

const ALGS = 'algs="ES256 EdDSA RS256 PS256"';
const nowS = (): number => Math.floor(Date.now() / 1000);

/**
 * DPoP (RFC 9449) at the services themselves, over real sockets: orders (the global JwtAuthGuard)
 * and profiles (AuthGuard('authmesh'), the passport strategy), each with JWT_DPOP_ORIGINS set to the
 * origin it is called at, sharing one Redis for the jti replay check. Tokens are signed by a test
 * JWKS with `cnf.jkt` (what auth issues for a DPoP token request); every attack is sent over HTTP
 * and its refusal asserted with its code and its `WWW-Authenticate: DPoP` challenge.
 */
describe('DPoP-bound tokens at orders and profiles (e2e)', () => {
  const signing = generateSigningKey('auth-key-1');
  let jwks: JwksTestServer;
  let orders: TestApp;
  let profiles: TestApp;
  let agent: Agent;
  let client: TestDpopKey;
  let thief: TestDpopKey;

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(signing));
    client = await newDpopKey('ES256');
    thief = await newDpopKey('ES256');
    const [ordersPort, profilesPort] = [await freePort(), await freePort()];
    const env = { AUTH_ISSUER: jwks.url };
    [orders, profiles] = await Promise.all([
      newTestApp(ordersApp, {
        ...env,
        ...UNUSED_PROFILES_CLIENT_ENV,
        PORT: String(ordersPort),
        JWT_DPOP_ORIGINS: `http://127.0.0.1:${ordersPort}`,
      }),
      newTestApp(profilesApp, { ...env, PORT: String(profilesPort), JWT_DPOP_ORIGINS: `http://127.0.0.1:${profilesPort}` }),
    ]);
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    await Promise.all([orders?.close(), profiles?.close()]);
    await jwks?.close();
  });

  const services = () => [
    { name: 'orders (JwtAuthGuard)', app: orders, audience: 'orders' },
    { name: "profiles (AuthGuard('authmesh'))", app: profiles, audience: 'profiles' },
  ];
  const boundToken = (audience: string, key = client) =>
    signToken(signing, accessClaims(jwks.url, audience, nowS(), { cnf: { jkt: key.jkt } }));
  const whoami = (app: TestApp, headers: [string, string][]) => rawGet(`${app.url}/whoami`, headers, agent);
  const dpop = (token: string, proof: string): [string, string][] => [
    ['authorization', `DPoP ${token}`],
    ['dpop', proof],
  ];

  function expectDpopRefusal(res: RawResponse, code: string, error = 'invalid_dpop_proof'): void {
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code });
    expect(res.headers['www-authenticate']).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"]+", ${ALGS}$`));
  }

  describe.each(['orders', 'profiles'])('at %s', (which) => {
    const service = () => services().find((s) => s.audience === which)!;
    const url = () => `${service().app.url}/whoami`;

    it('serves a DPoP-bound token with a valid proof (200)', async () => {
      const token = boundToken(service().audience);
      const res = await whoami(service().app, dpop(token, await dpopProof(client, { htm: 'GET', htu: url(), accessToken: token })));
      expect(res.status).toBe(200);
      expect(res.json?.sub).toBe('user-1');
    });

    it('ignores the query when matching htu (RFC 9449 §4.3 check 9)', async () => {
      const token = boundToken(service().audience);
      const proof = await dpopProof(client, { htm: 'GET', htu: url(), accessToken: token });
      const res = await rawGet(`${url()}?x=1`, dpop(token, proof), agent);
      expect(res.status).toBe(200);
    });

    it('still serves a token issued without DPoP as Bearer', async () => {
      const token = signToken(signing, accessClaims(jwks.url, service().audience, nowS()));
      expect((await whoami(service().app, [['authorization', `Bearer ${token}`]])).status).toBe(200);
    });

    it('refuses the bound token with no proof (dpop_proof_missing)', async () => {
      expectDpopRefusal(await whoami(service().app, [['authorization', `DPoP ${boundToken(service().audience)}`]]), 'dpop_proof_missing');
    });

    it('refuses the bound token sent as Bearer (dpop_token_as_bearer, error="invalid_token")', async () => {
      const res = await whoami(service().app, [['authorization', `Bearer ${boundToken(service().audience)}`]]);
      expectDpopRefusal(res, 'dpop_token_as_bearer', 'invalid_token');
    });

    it.each([
      ['another method', { htm: 'POST' }, 'dpop_proof_htm_mismatch'],
      ['another URL', { htu: 'http://127.0.0.1:1/whoami' }, 'dpop_proof_htu_mismatch'],
      ['another path', { htuPath: '/orders' }, 'dpop_proof_htu_mismatch'],
      ['a stale iat', { iat: nowS() - 600 }, 'dpop_proof_stale'],
      ['an iat in the future', { iat: nowS() + 600 }, 'dpop_proof_stale'],
      ['a wrong ath', { accessToken: 'some.other.token' }, 'dpop_proof_ath_mismatch'],
    ])(
      'refuses a proof with %s',
      async (_what, more: { htm?: string; htu?: string; htuPath?: string; iat?: number; accessToken?: string }, code) => {
        const token = boundToken(service().audience);
        const htu = more.htu ?? (more.htuPath ? `${service().app.url}${more.htuPath}` : url());
        const proof = await dpopProof(client, {
          htm: more.htm ?? 'GET',
          htu,
          iat: more.iat,
          accessToken: more.accessToken ?? token,
        });
        expectDpopRefusal(await whoami(service().app, dpop(token, proof)), code);
      },
    );

    it("refuses a proof signed by another key than the token's cnf.jkt (a stolen token)", async () => {
      const token = boundToken(service().audience);
      const proof = await dpopProof(thief, { htm: 'GET', htu: url(), accessToken: token });
      expectDpopRefusal(await whoami(service().app, dpop(token, proof)), 'dpop_proof_key_mismatch');
    });

    it('refuses a replayed proof (dpop_proof_replayed)', async () => {
      const token = boundToken(service().audience);
      const proof = await dpopProof(client, { htm: 'GET', htu: url(), accessToken: token });
      expect((await whoami(service().app, dpop(token, proof))).status).toBe(200);
      expectDpopRefusal(await whoami(service().app, dpop(token, proof)), 'dpop_proof_replayed');
    });

    it('refuses a proof signed none or HS256 (dpop_proof_bad_algorithm)', async () => {
      const token = boundToken(service().audience);
      const none = unsignedDpopProof(client, { htm: 'GET', htu: url(), accessToken: token });
      expectDpopRefusal(await whoami(service().app, dpop(token, none)), 'dpop_proof_bad_algorithm');
      const hs = hs256DpopProof(client, { htm: 'GET', htu: url(), accessToken: token });
      expectDpopRefusal(await whoami(service().app, dpop(token, hs)), 'dpop_proof_bad_algorithm');
    });

    it('refuses a proof whose jwk carries the private key (dpop_proof_private_key)', async () => {
      const token = boundToken(service().audience);
      const proof = await dpopProof(client, { htm: 'GET', htu: url(), accessToken: token, header: { jwk: client.privateJwk } });
      expectDpopRefusal(await whoami(service().app, dpop(token, proof)), 'dpop_proof_private_key');
    });

    it('refuses two DPoP headers (dpop_proof_malformed)', async () => {
      const token = boundToken(service().audience);
      const proof = await dpopProof(client, { htm: 'GET', htu: url(), accessToken: token });
      expectDpopRefusal(await whoami(service().app, [...dpop(token, proof), ['dpop', proof]]), 'dpop_proof_malformed');
    });

    it('answers a token failure of a DPoP request with a DPoP challenge (expired token)', async () => {
      const token = signToken(signing, accessClaims(jwks.url, service().audience, nowS() - 3600, { cnf: { jkt: client.jkt } }));
      const res = await whoami(service().app, dpop(token, await dpopProof(client, { htm: 'GET', htu: url(), accessToken: token })));
      expectDpopRefusal(res, 'token_expired', 'invalid_token');
    });

    it('answers no credentials with the Bearer challenge and a DPoP one naming the algs', async () => {
      const res = await whoami(service().app, []);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer, DPoP ${ALGS}`);
    });
  });

  it("refuses at profiles a proof made for orders (the htu is orders')", async () => {
    const token = signToken(signing, accessClaims(jwks.url, ['orders', 'profiles'], nowS(), { cnf: { jkt: client.jkt } }));
    const proof = await dpopProof(client, { htm: 'GET', htu: `${orders.url}/whoami`, accessToken: token });
    expectDpopRefusal(await whoami(profiles, dpop(token, proof)), 'dpop_proof_htu_mismatch');
  });
});

/**
 * The replay check across replicas (two orders processes behind one public origin share Redis) and
 * during a Redis outage (JWT_DPOP_REPLAY_OUTAGE_POLICY: `reject` fails closed with 503, `local`
 * keeps the per-process guarantee): docs/decisions/010-dpop-gateway-and-replay.md.
 */
describe('DPoP replay check across replicas and during a Redis outage (e2e)', () => {
  const ORIGIN = 'https://orders.example';
  const signing = generateSigningKey('auth-key-1');
  let jwks: JwksTestServer;
  let redisProxy: TcpProxy;
  let replicaA: TestApp;
  let replicaB: TestApp;
  let lenient: TestApp;
  let agent: Agent;
  let client: TestDpopKey;

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(signing));
    client = await newDpopKey('EdDSA');
    redisProxy = await TcpProxy.start(Number(new URL(testRedisUrl()).port || 6379));
    const env = { AUTH_ISSUER: jwks.url, ...UNUSED_PROFILES_CLIENT_ENV, JWT_DPOP_ORIGINS: ORIGIN, REDIS_URL: redisProxy.url };
    [replicaA, replicaB, lenient] = await Promise.all([
      newTestApp(ordersApp, env),
      newTestApp(ordersApp, env),
      newTestApp(ordersApp, { ...env, JWT_DPOP_REPLAY_OUTAGE_POLICY: 'local' }),
    ]);
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    await redisProxy?.unblock();
    await Promise.all([replicaA?.close(), replicaB?.close(), lenient?.close()]);
    await Promise.all([jwks?.close(), redisProxy?.close()]);
  });

  const token = () => signToken(signing, accessClaims(jwks.url, 'orders', nowS(), { cnf: { jkt: client.jkt } }));
  const send = (app: TestApp, t: string, proof: string) =>
    rawGet(
      `${app.url}/whoami`,
      [
        ['authorization', `DPoP ${t}`],
        ['dpop', proof],
      ],
      agent,
    );

  it('refuses at replica B a proof replica A accepted (the shared SET NX PX)', async () => {
    const t = token();
    const proof = await dpopProof(client, { htm: 'GET', htu: `${ORIGIN}/whoami`, accessToken: t });
    expect((await send(replicaA, t, proof)).status).toBe(200);
    const replay = await send(replicaB, t, proof);
    expect({ status: replay.status, code: replay.json?.code }).toEqual({ status: 401, code: 'dpop_proof_replayed' });
  });

  it('while Redis is unreachable: 503 dpop_replay_unavailable with Retry-After under reject, the local guarantee under local; Bearer unaffected', async () => {
    await redisProxy.block();
    try {
      const t = token();
      const failClosed = await send(replicaA, t, await dpopProof(client, { htm: 'GET', htu: `${ORIGIN}/whoami`, accessToken: t }));
      expect({ status: failClosed.status, code: failClosed.json?.code }).toEqual({ status: 503, code: 'dpop_replay_unavailable' });
      expect(Number(failClosed.headers['retry-after'])).toBeGreaterThan(0);

      const proof = await dpopProof(client, { htm: 'GET', htu: `${ORIGIN}/whoami`, accessToken: t });
      expect((await send(lenient, t, proof)).status).toBe(200);
      expect((await send(lenient, t, proof)).json?.code).toBe('dpop_proof_replayed');

      const bearer = signToken(signing, accessClaims(jwks.url, 'orders', nowS()));
      expect((await rawGet(`${replicaA.url}/whoami`, [['authorization', `Bearer ${bearer}`]], agent)).status).toBe(200);
    } finally {
      await redisProxy.unblock();
    }
  });
});
