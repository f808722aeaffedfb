import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { RedisRevocationStore } from '@authmesh/revocation';
import {
  OwnedRedis,
  type TestApp,
  newTestApp,
  waitFor,
  TcpProxy,
  getWithToken,
  rawGet,
  testAgent,
  JwksTestServer,
  generateSigningKey,
  jwksOf,
  accessClaims,
  signToken,
} from '@authmesh/testing';
import { Redis } from 'ioredis';
import { ordersApp } from '../src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from './support/profiles-client-env.js';

/**
 * The outage policy with a Redis this file owns, really killed while requests are verified. Orders
 * reaches it through a TCP proxy the test controls, so after the restart the test can write to
 * Redis while the verifiers are provably still disconnected, then let them back in.
 */
describe('orders: revocation during a Redis outage (e2e)', () => {
  const STALENESS_S = 2;
  const key = generateSigningKey('auth-key-1');
  let server: OwnedRedis;
  let proxy: TcpProxy;
  let jwks: JwksTestServer;
  let rejecting: TestApp;
  let accepting: TestApp;
  let writer: Redis;
  let store: RedisRevocationStore;
  let agent: Agent;
  const nowS = () => Math.floor(Date.now() / 1000);
  const token = (overrides: Record<string, unknown> = {}) => signToken(key, accessClaims(jwks.url, 'orders', nowS(), overrides));
  const whoami = (app: TestApp, t: string) => getWithToken(`${app.url}/whoami`, t, agent);
  const readiness = async (app: TestApp) => {
    const res = await rawGet(`${app.managementUrl}/health/ready`, [], agent);
    const body = res.json as {
      info?: Record<string, Record<string, unknown>>;
      details?: { details?: Record<string, Record<string, unknown>> };
    };
    return { status: res.status, revocation: body.info?.revocation ?? body.details?.details?.revocation };
  };

  beforeAll(async () => {
    server = await OwnedRedis.start();
    proxy = await TcpProxy.start(server.port);
    jwks = await JwksTestServer.start(jwksOf(key));
    const env = {
      AUTH_ISSUER: jwks.url,
      REDIS_URL: proxy.url,
      REVOCATION_MAX_STALENESS_S: String(STALENESS_S),
      ...UNUSED_PROFILES_CLIENT_ENV,
    };
    [rejecting, accepting] = await Promise.all([
      newTestApp(ordersApp, env),
      newTestApp(ordersApp, { ...env, REVOCATION_OUTAGE_POLICY: 'accept' }),
    ]);
    writer = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    writer.on('error', () => undefined);
    await writer.connect();
    store = new RedisRevocationStore(writer, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
    agent = testAgent();
  });
  afterAll(async () => {
    agent?.destroy();
    writer?.disconnect();
    await Promise.all([rejecting?.close(), accepting?.close()]);
    await jwks?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('accepts within the staleness bound, then 503 revocation_unavailable (reject) or fail-open (accept), and recovers after a restart', async () => {
    const valid = token({ sub: 'user-ok' });
    const revokedBefore = randomUUID();
    const revokedBeforeToken = token({ jti: revokedBefore });
    await store.revokeToken(revokedBefore, new Date((nowS() + 300) * 1000));
    for (const app of [rejecting, accepting]) {
      await waitFor(async () => (await whoami(app, revokedBeforeToken)).status === 401, 2000, 10);
      expect((await whoami(app, valid)).status).toBe(200);
    }

    // Redis dies while requests are being verified.
    await server.stop();
    const downAt = Date.now();
    let firstRejectAfterMs: number | undefined;
    let acceptedWhileDown = 0;
    while (firstRejectAfterMs === undefined && Date.now() - downAt < (STALENESS_S + 3) * 1000) {
      const res = await whoami(rejecting, valid);
      if (res.status === 200) acceptedWhileDown++;
      else {
        firstRejectAfterMs = Date.now() - downAt;
        expect({ status: res.status, code: res.json?.code }).toEqual({ status: 503, code: 'revocation_unavailable' });
        expect(res.headers['retry-after']).toBe('5');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    // Staleness counts from the last heartbeat before the crash (at most ~1 s earlier).
    expect(acceptedWhileDown).toBeGreaterThan(0);
    expect(firstRejectAfterMs).toBeGreaterThanOrEqual((STALENESS_S - 1) * 1000);
    expect(firstRejectAfterMs).toBeLessThanOrEqual((STALENESS_S + 1.5) * 1000);

    // Past the bound: reject answers 503 and is not ready; accept keeps answering (degraded, counted).
    expect((await whoami(rejecting, valid)).status).toBe(503);
    const notReady = await readiness(rejecting);
    expect(notReady.status).toBe(503);
    expect(notReady.revocation).toMatchObject({ status: 'down' });
    // The two apps heartbeat independently, so the accepting one may have heard Redis up to ~1 s
    // after the rejecting one did: wait for its own bound to pass rather than assume they coincide.
    await waitFor(async () => (await readiness(accepting)).revocation?.fresh === false, 2000, 20);
    expect((await whoami(accepting, valid)).status).toBe(200);
    // Failing open is serving: ready (Redis shows as down, the mirror as degraded).
    const failingOpen = await readiness(accepting);
    expect(failingOpen.status).toBe(200);
    expect(failingOpen.revocation).toMatchObject({ status: 'degraded', fresh: false, degraded: true, failOpen: true });
    expect((await rawGet(`${accepting.managementUrl}/metrics`, [], agent)).body).toMatch(
      /^revocation_checks_total\{outcome="stale_accepted",service="orders"\} [1-9]/m,
    );
    // A token the mirror already knew to be revoked stays refused under either policy.
    for (const app of [rejecting, accepting]) expect((await whoami(app, revokedBeforeToken)).status).toBe(401);

    // Redis comes back empty (nothing persisted); revocations are written while the verifiers are
    // still cut off, one of them the way auth's re-seed writes its entries.
    await proxy.block();
    await server.start();
    await waitFor(() => writer.status === 'ready', 5000, 20);
    // What auth's re-seed ends with (this file runs no auth): until then the verifiers, back on an
    // empty Redis, would not call their mirrors complete.
    await store.markSeeded(Date.now(), await store.beginSeed());
    const duringJti = randomUUID();
    const duringToken = token({ jti: duringJti });
    await store.revokeToken(duringJti, new Date((nowS() + 300) * 1000));
    const silentJti = randomUUID();
    const silentToken = token({ jti: silentJti });
    await store.seedEntries([{ kind: 'jti', jti: silentJti, expiresAtMs: (nowS() + 300) * 1000 }]);
    const suspended = `user-${randomUUID()}`;
    const suspendedToken = token({ sub: suspended, iat: nowS() - 5 });
    await store.revokeSubject(suspended, new Date());

    await proxy.unblock();
    for (const app of [rejecting, accepting]) {
      // Ready again, and (for the fail-open instance, which stayed "ready") re-synced and fresh.
      await waitFor(
        async () => {
          const { status, revocation } = await readiness(app);
          return status === 200 && revocation?.synced === true && revocation.fresh === true;
        },
        10_000,
        50,
      );
      expect((await whoami(app, valid)).status).toBe(200);
      for (const t of [duringToken, silentToken, suspendedToken, revokedBeforeToken]) {
        const res = await whoami(app, t);
        expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code: 'token_revoked' });
      }
    }
  });
});
