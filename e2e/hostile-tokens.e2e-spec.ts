import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { RedisRevocationStore } from '@authmesh/revocation';
import {
  type RawResponse,
  type TestApp,
  JwksTestServer,
  accessClaims,
  generateSigningKey,
  getWithToken,
  jwksOf,
  newTestApp,
  rawGet,
  signToken,
  testAgent,
  testRedisUrl,
  waitFor,
} from '@authmesh/testing';
import { Redis } from 'ioredis';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { samplePassportJwtService } from './sample-passport-jwt-service/sample-passport-jwt.service.js';
import { HOSTILE_CASES, type HostileContext } from './support/hostile-tokens.js';

/**
 * One table of hostile tokens, sent over HTTP to three verifiers sharing one JWKS and one Redis:
 * orders (the global `JwtAuthGuard`), profiles (`AuthGuard('authmesh')`, the passport strategy)
 * and a sample service on passport-jwt with `authmeshSecretOrKeyProvider` + `authmeshValidate`.
 * The first two must refuse every case with the same status and code; the third's differences
 * are stated case by case (what it accepts that ours refuse).
 */
describe('hostile tokens: JwtAuthGuard, AuthGuard(authmesh) and the passport-jwt key provider (e2e)', () => {
  const key = generateSigningKey('auth-key-1');
  const attacker = generateSigningKey('attacker-key');
  const impostor = generateSigningKey('auth-key-1');
  let jwks: JwksTestServer;
  let attackerJwks: JwksTestServer;
  let orders: TestApp;
  let profiles: TestApp;
  let sample: TestApp;
  let redis: Redis;
  let agent: Agent;
  const ctx = (audience: string): HostileContext => ({ key, attacker, impostor, attackerJwks, issuer: jwks.url, audience });

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    attackerJwks = await JwksTestServer.start(jwksOf(attacker, impostor));
    const env = { AUTH_ISSUER: jwks.url };
    [orders, profiles, sample] = await Promise.all([
      newTestApp(ordersApp, { ...env, ...UNUSED_PROFILES_CLIENT_ENV }),
      newTestApp(profilesApp, env),
      newTestApp(samplePassportJwtService, env),
    ]);
    redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    redis?.disconnect();
    await Promise.all([orders?.close(), profiles?.close(), sample?.close()]);
    await Promise.all([jwks?.close(), attackerJwks?.close()]);
  });

  const services = () => [
    { name: 'orders (JwtAuthGuard)', app: orders, audience: 'orders' },
    { name: "profiles (AuthGuard('authmesh'))", app: profiles, audience: 'profiles' },
  ];

  function expectRefusal(res: RawResponse, refusal: { status: number; code: string }): void {
    expect({ status: res.status, code: res.json?.code }).toEqual(refusal);
    const challenge = res.headers['www-authenticate'];
    if (refusal.code === 'token_missing') expect(challenge).toBe(`Bearer, DPoP algs="ES256 EdDSA RS256 PS256"`);
    else expect(challenge).toMatch(/^Bearer error="(invalid_token|invalid_request)", error_description="[^"]+"$/);
  }

  it('serves a valid token at all three', async () => {
    for (const { app, audience } of [...services(), { app: sample, audience: 'orders' }]) {
      const res = await getWithToken(
        `${app.url}/whoami`,
        signToken(key, accessClaims(jwks.url, audience, Math.floor(Date.now() / 1000))),
        agent,
      );
      expect({ audience, status: res.status, sub: res.json?.sub }).toEqual({ audience, status: 200, sub: 'user-1' });
    }
  });

  describe.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', (_name, hostile) => {
    it(`orders and profiles refuse it with ${hostile.refusal.status} ${hostile.refusal.code}`, async () => {
      for (const service of services()) {
        const res = await rawGet(`${service.app.url}/whoami`, hostile.headers(ctx(service.audience)), agent);
        expectRefusal(res, hostile.refusal);
      }
    });

    it(`passport-jwt with authmesh's key provider: ${hostile.passportJwt}`, async () => {
      const res = await rawGet(`${sample.url}/whoami`, hostile.headers(ctx('orders')), agent);
      if (hostile.passportJwt === 'accepted') expect(res.status).toBe(200);
      else expect([400, 401]).toContain(res.status);
    });
  });

  it('refuses a revoked token at all three with 401 token_revoked (authmeshValidate runs the same mirror check)', async () => {
    const store = new RedisRevocationStore(redis, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
    const jti = randomUUID();
    const nowS = Math.floor(Date.now() / 1000);
    const apps = [
      { app: orders, token: signToken(key, accessClaims(jwks.url, 'orders', nowS, { jti })) },
      { app: profiles, token: signToken(key, accessClaims(jwks.url, 'profiles', nowS, { jti })) },
      { app: sample, token: signToken(key, accessClaims(jwks.url, 'orders', nowS, { jti })) },
    ];
    for (const { app, token } of apps) expect((await getWithToken(`${app.url}/whoami`, token, agent)).status).toBe(200);
    await store.revokeToken(jti, new Date((nowS + 300) * 1000));
    for (const { app, token } of apps) {
      await waitFor(async () => (await getWithToken(`${app.url}/whoami`, token, agent)).status === 401, 5_000);
      expectRefusal(await getWithToken(`${app.url}/whoami`, token, agent), { status: 401, code: 'token_revoked' });
    }
  });

  it("passport-jwt's own refusals carry no stable code (a bare 401), where ours do", async () => {
    const res = await rawGet(`${sample.url}/whoami`, [['authorization', 'Bearer not-a-token']], agent);
    expect(res.status).toBe(401);
    expect(res.json?.code).not.toBe('token_malformed');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});
