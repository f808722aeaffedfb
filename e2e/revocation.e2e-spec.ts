import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { RedisConnection } from '@authmesh/platform';
import { RedisRevocationStore, createRevocationStore } from '@authmesh/revocation';
import {
  type TestApp,
  newTestApp,
  testRedisUrl,
  type RawResponse,
  getWithToken,
  rawGet,
  testAgent,
  JwksTestServer,
  generateSigningKey,
  jwksOf,
  accessClaims,
  signToken,
} from '@authmesh/testing';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

/**
 * The verifier side of revocation, over HTTP, against real orders and profiles services sharing
 * the real Redis: a revocation written to the store (as auth writes it) reaches both verifiers'
 * mirrors through the revocation stream, and the very next request with the token is a 401 token_revoked.
 */
describe('orders and profiles: revoked tokens are refused (e2e)', () => {
  const key = generateSigningKey('auth-key-1');
  let jwks: JwksTestServer;
  let orders: TestApp;
  let profiles: TestApp;
  let redis: Redis;
  let store: RedisRevocationStore;
  let agent: Agent;
  const nowS = () => Math.floor(Date.now() / 1000);
  const token = (overrides: Record<string, unknown> = {}) =>
    signToken(key, accessClaims(jwks.url, ['orders', 'profiles'], nowS(), overrides));
  const whoami = (app: TestApp, t: string) => getWithToken(`${app.url}/whoami`, t, agent);

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(key));
    const env = { AUTH_ISSUER: jwks.url };
    [orders, profiles] = await Promise.all([
      newTestApp(ordersApp, { ...env, ...UNUSED_PROFILES_CLIENT_ENV }),
      newTestApp(profilesApp, env),
    ]);
    redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    // As auth writes it (auth's tolerance and longest lifetime; the keys need no prefix: ids are random).
    store = new RedisRevocationStore(redis, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    redis?.disconnect();
    await Promise.all([orders?.close(), profiles?.close()]);
    await jwks?.close();
  });

  function expectRevoked(res: RawResponse): void {
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code: 'token_revoked' });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token has been revoked"');
  }

  it('refuses a token at both services on the next request after its jti is revoked', async () => {
    const jti = randomUUID();
    const t = token({ jti, sub: `user-${randomUUID()}` });
    // Verified (and cached by the verifier) first: revocation must win over the verified-token cache.
    expect((await whoami(orders, t)).status).toBe(200);
    expect((await whoami(profiles, t)).status).toBe(200);

    await store.revokeToken(jti, new Date((nowS() + 300) * 1000));
    expectRevoked(await whoami(orders, t));
    expectRevoked(await whoami(profiles, t));
    // Another token of the same user is untouched.
    expect((await whoami(orders, token({ sub: 'user-1' }))).status).toBe(200);
  });

  it('revokes every token of a subject issued at or before the revocation; a newer one and another user pass', async () => {
    const sub = `user-${randomUUID()}`;
    const at = new Date();
    const atS = Math.floor(at.getTime() / 1000);
    const older = token({ sub, iat: atS - 60, nbf: atS - 60 });
    const sameSecond = token({ sub, iat: atS, nbf: atS });
    const newer = token({ sub, iat: atS + 1, nbf: atS + 1 });
    const otherUser = token({ sub: `user-${randomUUID()}`, iat: atS - 60, nbf: atS - 60 });
    for (const t of [older, sameSecond, otherUser]) expect((await whoami(orders, t)).status).toBe(200);

    await store.revokeSubject(sub, at);
    for (const app of [orders, profiles]) {
      expectRevoked(await whoami(app, older));
      expectRevoked(await whoami(app, sameSecond));
      expect((await whoami(app, newer)).status).toBe(200);
      expect((await whoami(app, otherUser)).status).toBe(200);
    }
  });

  it('reports the mirror in /health/ready and /metrics', async () => {
    const ready = await rawGet(`${orders.managementUrl}/health/ready`, [], agent);
    expect(ready.status).toBe(200);
    expect((ready.json as { info: Record<string, unknown> }).info.revocation).toMatchObject({
      status: 'up',
      policy: 'reject',
      maxStalenessSeconds: 30,
      fresh: true,
      source: 'redis',
      connected: true,
      synced: true,
    });
    const metrics = (await rawGet(`${orders.managementUrl}/metrics`, [], agent)).body;
    expect(metrics).toMatch(/^revocation_checks_total\{outcome="revoked_token",service="orders"\} [1-9]/m);
    expect(metrics).toMatch(/^revocation_checks_total\{outcome="revoked_subject",service="orders"\} [1-9]/m);
    expect(metrics).toMatch(/^revocation_mirror_entries\{kind="jti",service="orders"\} [1-9]/m);
    const staleness = /^revocation_data_staleness_seconds\{service="orders"\} (\S+)$/m.exec(metrics)?.[1];
    expect(Number(staleness)).toBeLessThan(5);
  });
});

describe('orders with REDIS_URL=memory:// (npm start): a revocation written in the same process is honoured (e2e)', () => {
  const key = generateSigningKey('auth-key-1');
  let jwks: JwksTestServer;
  let orders: TestApp;
  let agent: Agent;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the memory-mode warning is expected here
    jwks = await JwksTestServer.start(jwksOf(key));
    orders = await newTestApp(ordersApp, { AUTH_ISSUER: jwks.url, REDIS_URL: 'memory://', ...UNUSED_PROFILES_CLIENT_ENV });
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    await orders?.close();
    await jwks?.close();
  });

  it('refuses a token revoked through the store auth would get from createRevocationStore in memory mode', async () => {
    // What auth does in the suite: its own RedisConnection in memory mode, the factory's store.
    const authStore = createRevocationStore(new RedisConnection({ kind: 'memory' }, 'auth'), {
      clockToleranceSeconds: 30,
      maxTokenLifetimeSeconds: 300,
    });
    const nowS = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const t = signToken(key, accessClaims(jwks.url, 'orders', nowS, { jti }));
    expect((await getWithToken(`${orders.url}/whoami`, t, agent)).status).toBe(200);
    await authStore.revokeToken(jti, new Date((nowS + 300) * 1000));
    const res = await getWithToken(`${orders.url}/whoami`, t, agent);
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code: 'token_revoked' });
    const ready = await rawGet(`${orders.managementUrl}/health/ready`, [], agent);
    expect((ready.json as { info: Record<string, unknown> }).info.revocation).toMatchObject({
      source: 'memory',
      fresh: true,
      stalenessSeconds: 0,
    });
  });
});
