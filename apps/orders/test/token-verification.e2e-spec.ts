import {
  type TestApp,
  newTestApp,
  type RawResponse,
  getWithToken,
  rawGet,
  testAgent,
  JwksTestServer,
  generateSigningKey,
  jwksOf,
  accessClaims,
  b64url,
  signHs256,
  signRaw,
  signToken,
  unsignedToken,
} from '@authmesh/testing';
import type { Agent } from 'node:http';
import { type OrdersConfig, ordersApp } from '../src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from './support/profiles-client-env.js';

/**
 * Every verification rule, attacked over HTTP against the real orders service on a real socket,
 * with its JWKS served by a local server this file owns. Each test asserts the status, the
 * WWW-Authenticate challenge and the body's code; none may ever produce a 500.
 */
describe('orders: bearer token verification (e2e)', () => {
  const key = generateSigningKey('auth-key-1');
  const attacker = generateSigningKey('attacker-key');
  const impostor = generateSigningKey('auth-key-1'); // attacker's key under our kid
  let jwks: JwksTestServer;
  let attackerJwks: JwksTestServer;
  let app: TestApp<OrdersConfig>;
  let agent: Agent;
  let issuer: string;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (overrides: Record<string, unknown> = {}) => accessClaims(issuer, 'orders', now(), overrides);
  const whoami = (token: string) => getWithToken(`${app.url}/whoami`, token, agent);

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    attackerJwks = await JwksTestServer.start(jwksOf(attacker, impostor));
    issuer = jwks.url;
    // AUTH_JWKS_URI is left to its default, `${AUTH_ISSUER}/.well-known/jwks.json`.
    app = await newTestApp(ordersApp, { AUTH_ISSUER: issuer, ...UNUSED_PROFILES_CLIENT_ENV });
    agent = testAgent();
  });

  afterAll(async () => {
    agent?.destroy();
    await app?.close();
    await jwks?.close();
    await attackerJwks?.close();
  });

  function expectInvalidToken(res: RawResponse, code: string): void {
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
    expect(res.json?.message).toEqual(expect.any(String));
    expect(res.body).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
  }

  it('answers GET /whoami with the principal of a valid token', async () => {
    const c = claims({ sub: 'user-42', scope: 'orders:read' });
    const res = await whoami(signToken(key, c));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      sub: 'user-42',
      clientId: 'web-app',
      scopes: ['orders:read'],
      audience: ['orders'],
      tokenId: c.jti,
      expiresAt: new Date((c.exp as number) * 1000).toISOString().replace('.000Z', 'Z'),
      isService: false,
    });
  });

  it('reports a client-credentials token as a service principal', async () => {
    const res = await whoami(signToken(key, claims({ sub: 'profiles-svc', client_id: 'profiles-svc', aud: ['orders'] })));
    expect(res.json).toMatchObject({ sub: 'profiles-svc', clientId: 'profiles-svc', isService: true });
  });

  it('accepts typ application/at+jwt and a lower-case bearer scheme', async () => {
    const token = signToken(key, claims(), { typ: 'application/at+jwt' });
    expect((await rawGet(`${app.url}/whoami`, [['authorization', `bearer ${token}`]], agent)).status).toBe(200);
  });

  describe('without credentials', () => {
    it('answers 401 token_missing with a bare Bearer challenge (and DPoP algs) when there is no Authorization header', async () => {
      const res = await rawGet(`${app.url}/whoami`, [], agent);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer, DPoP algs="ES256 EdDSA RS256 PS256"`);
      expect(res.json?.code).toBe('token_missing');
    });

    it('treats another scheme as no credentials (RFC 6750 §3.1)', async () => {
      const res = await rawGet(`${app.url}/whoami`, [['authorization', `Basic ${Buffer.from('a:b').toString('base64')}`]], agent);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(`Bearer, DPoP algs="ES256 EdDSA RS256 PS256"`);
      expect(res.json?.code).toBe('token_missing');
    });

    it('protects unknown routes too (no route is open by default)', async () => {
      const res = await rawGet(`${app.url}/orders`, [], agent);
      expect([401, 404]).toContain(res.status);
      expect(res.status).not.toBe(200);
    });

    it('answers liveness (main port), readiness and metrics (management listener) without a token', async () => {
      expect((await rawGet(`${app.url}/health/live`, [], agent)).status).toBe(200);
      expect((await rawGet(`${app.managementUrl}/health/ready`, [], agent)).status).toBe(200);
      expect((await rawGet(`${app.managementUrl}/metrics`, [], agent)).status).toBe(200);
    });
  });

  describe('Authorization header', () => {
    it('rejects two Authorization headers with 400 invalid_request', async () => {
      const token = signToken(key, claims());
      const res = await rawGet(
        `${app.url}/whoami`,
        [
          ['authorization', `Bearer ${token}`],
          ['authorization', `Bearer ${token}`],
        ],
        agent,
      );
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request", error_description="[^"]+"$/);
      expect(res.json?.code).toBe('token_ambiguous');
    });

    it('rejects two credentials in one header', async () => {
      const token = signToken(key, claims());
      expectInvalidToken(await rawGet(`${app.url}/whoami`, [['authorization', `Bearer ${token} ${token}`]], agent), 'token_malformed');
    });

    it('rejects the Bearer scheme without a token', async () => {
      expectInvalidToken(await rawGet(`${app.url}/whoami`, [['authorization', 'Bearer']], agent), 'token_malformed');
    });
  });

  describe('algorithm pinned to RS256', () => {
    it('rejects a token whose alg is none', async () => {
      expectInvalidToken(await whoami(unsignedToken(claims(), { kid: key.kid })), 'token_bad_algorithm');
    });

    it('rejects HS256 signed with the public key as the HMAC secret', async () => {
      const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
      expectInvalidToken(await whoami(signHs256(claims(), { kid: key.kid }, pem)), 'token_bad_algorithm');
      const n = Buffer.from(key.jwk.n!, 'base64url');
      expectInvalidToken(await whoami(signHs256(claims(), { kid: key.kid }, n)), 'token_bad_algorithm');
    });

    it.each(['RS512', 'PS256', 'ES256'])('rejects alg %s', async (alg) => {
      expectInvalidToken(await whoami(signToken(key, claims(), { alg })), 'token_bad_algorithm');
    });
  });

  describe('key lookup only in the cached JWKS', () => {
    it('rejects a token without kid', async () => {
      expectInvalidToken(await whoami(signToken(key, claims(), { kid: undefined })), 'token_unknown_key');
    });

    it('rejects a token with an unknown kid', async () => {
      expectInvalidToken(await whoami(signToken(attacker, claims())), 'token_unknown_key');
    });

    it.each([
      ['jku', () => ({ jku: attackerJwks.jwksUri })],
      ['x5u', () => ({ x5u: `${attackerJwks.url}/cert.pem` })],
      ['jwk', () => ({ jwk: attacker.jwk })],
      ['x5c', () => ({ x5c: [attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] })],
    ])('never uses a key named by the %s header', async (_name, header) => {
      const before = attackerJwks.requests;
      // The attacker's own kid: not in our JWKS, whatever the header points to.
      expectInvalidToken(await whoami(signToken(attacker, claims(), header())), 'token_unknown_key');
      // Our kid, the attacker's key: verified against our key, so the signature fails.
      expectInvalidToken(await whoami(signToken(impostor, claims(), header())), 'token_bad_signature');
      expect(attackerJwks.requests).toBe(before);
    });
  });

  describe('header rules', () => {
    it('rejects a token with a non-empty crit', async () => {
      expectInvalidToken(await whoami(signToken(key, claims(), { crit: ['b64'], b64: false })), 'token_malformed');
    });

    it.each(['JWT', 'id_token+jwt', undefined])('rejects typ %s (RFC 9068 §4)', async (typ) => {
      expectInvalidToken(await whoami(signToken(key, claims(), { typ })), 'token_wrong_type');
    });
  });

  describe('claims', () => {
    it('rejects a token from another issuer', async () => {
      expectInvalidToken(await whoami(signToken(key, claims({ iss: 'https://evil.example' }))), 'token_wrong_issuer');
      expectInvalidToken(await whoami(signToken(key, claims({ iss: `${issuer}/` }))), 'token_wrong_issuer');
    });

    it('rejects a token for another audience', async () => {
      expectInvalidToken(await whoami(signToken(key, claims({ aud: 'profiles' }))), 'token_wrong_audience');
      expectInvalidToken(await whoami(signToken(key, claims({ aud: ['profiles', 'gateway'] }))), 'token_wrong_audience');
    });

    it('rejects a token expired beyond the 30 s clock tolerance', async () => {
      expectInvalidToken(await whoami(signToken(key, claims({ exp: now() - 31 }))), 'token_expired');
    });

    it('accepts a token expired within the clock tolerance', async () => {
      expect((await whoami(signToken(key, claims({ exp: now() - 20 })))).status).toBe(200);
    });

    it('rejects a token whose nbf is in the future beyond the tolerance', async () => {
      expectInvalidToken(await whoami(signToken(key, claims({ nbf: now() + 60 }))), 'token_not_yet_valid');
    });

    it('rejects a token whose iat is in the future beyond the tolerance', async () => {
      expectInvalidToken(await whoami(signToken(key, claims({ iat: now() + 60 }))), 'token_not_yet_valid');
    });

    it('rejects a token missing a required claim', async () => {
      expectInvalidToken(await whoami(signToken(key, claims({ jti: undefined }))), 'token_malformed');
    });
  });

  describe('shape and signature', () => {
    it('rejects a token over 8 KiB before parsing it', async () => {
      expectInvalidToken(await whoami(`${'A'.repeat(9000)}.${'A'.repeat(8)}.${'A'.repeat(8)}`), 'token_too_large');
    });

    it.each([
      ['not a JWS', () => 'not-a-token'],
      ['two segments', () => `${b64url({ alg: 'RS256' })}.${b64url(claims())}`],
      ['standard base64 in the payload', () => signToken(key, claims()).replace('.', '.+/')],
      ['a header that is not JSON', () => `${b64url('{not json')}.${b64url(claims())}.AAAA`],
      ['a signed payload that is not JSON', () => signRaw(key, b64url({ alg: 'RS256', typ: 'at+jwt', kid: key.kid }), b64url('{"sub":'))],
    ])('rejects %s as malformed', async (_name, token) => {
      expectInvalidToken(await whoami(token()), 'token_malformed');
    });

    it('rejects a token whose payload was changed after signing', async () => {
      const [h, , s] = signToken(key, claims()).split('.');
      expectInvalidToken(await whoami(`${h}.${b64url(claims({ sub: 'admin', scope: 'orders:admin' }))}.${s}`), 'token_bad_signature');
    });

    it('rejects a token signed by another key under our kid', async () => {
      expectInvalidToken(await whoami(signToken(impostor, claims())), 'token_bad_signature');
    });
  });

  it('never answers 500, whatever the Authorization header holds', async () => {
    const valid = signToken(key, claims());
    const junk = [
      'Bearer .',
      'Bearer ..',
      'Bearer ...',
      `Bearer ${valid}.`,
      `Bearer ${valid.slice(0, -1)}`,
      `Bearer ${valid.replace(/\./g, '..')}`,
      `Bearer ${b64url('null')}.${b64url('null')}.AA`,
      `Bearer ${b64url('[]')}.${b64url('{}')}.AA`,
      `Bearer ${b64url({ alg: 'RS256', typ: 'at+jwt', kid: { a: 1 } })}.${b64url('{}')}.AA`,
      `Bearer ${b64url({ alg: 'RS256', typ: 'at+jwt', kid: 'x'.repeat(300) })}.${b64url('{}')}.AA`,
      `Bearer ${b64url({ alg: 'RS256', typ: 'at+jwt', kid: '__proto__' })}.${b64url('{}')}.AA`,
      `Bearer ${signToken(key, { ...claims(), aud: { orders: true } })}`,
      `Bearer ${signToken(key, { ...claims(), exp: 'tomorrow' })}`,
      `Bearer ${signToken(key, { ...claims(), exp: Number.POSITIVE_INFINITY })}`,
      'Bearer \u00ff\u00fe',
      'Bearer\tabc',
      'Negotiate abc',
      ...Array.from({ length: 30 }, (_, i) => `Bearer ${valid.slice(0, (i * 37) % valid.length)}`),
    ];
    for (const value of junk) {
      const res = await rawGet(`${app.url}/whoami`, [['authorization', value]], agent);
      expect({ value, status: res.status < 500 }).toEqual({ value, status: true });
      expect([400, 401]).toContain(res.status);
    }
  });

  it('counts verifications by outcome in /metrics', async () => {
    const body = (await rawGet(`${app.managementUrl}/metrics`, [], agent)).body;
    expect(body).toMatch(/token_verifications_total\{outcome="ok",service="orders"\} [1-9]/);
    expect(body).toMatch(/token_verifications_total\{outcome="token_bad_algorithm",service="orders"\} [1-9]/);
    expect(body).toMatch(/jwks_fetches_total\{result="updated",reason="startup",service="orders"\} 1/);
    expect(body).toMatch(/jwks_seconds_since_last_success\{service="orders"\} \d/);
  });
});
