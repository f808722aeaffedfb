import {
  type TestApp,
  newTestApp,
  waitFor,
  type RawResponse,
  getWithToken,
  rawGet,
  testAgent,
  JwksTestServer,
  generateSigningKey,
  jwksOf,
  accessClaims,
  b64url,
  signToken,
} from '@authmesh/testing';
import type { Agent } from 'node:http';
import { type OrdersConfig, ordersApp } from '../src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from './support/profiles-client-env.js';

/**
 * The JWKS cache against a real (local) JWKS endpoint that counts requests, goes down, answers
 * 500 and answers garbage, behind the real orders service on a real socket.
 */
describe('orders: JWKS cache resilience (e2e)', () => {
  const key = generateSigningKey('auth-key-1');
  const newKey = generateSigningKey('auth-key-2');
  const stranger = generateSigningKey('never-published');
  let agent: Agent;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(() => {
    agent = testAgent();
  });
  afterAll(() => agent.destroy());

  async function boot(jwks: JwksTestServer, env: Record<string, string> = {}): Promise<TestApp<OrdersConfig>> {
    return newTestApp(ordersApp, { AUTH_ISSUER: jwks.url, ...UNUSED_PROFILES_CLIENT_ENV, ...env });
  }
  const tokenFor = (jwks: JwksTestServer, signer = key, overrides: Record<string, unknown> = {}) =>
    signToken(signer, accessClaims(jwks.url, 'orders', now(), overrides));
  const whoami = (app: TestApp, token: string): Promise<RawResponse> => getWithToken(`${app.url}/whoami`, token, agent);
  const readiness = async (app: TestApp) => {
    const res = await rawGet(`${app.managementUrl}/health/ready`, [], agent);
    const json = res.json as { info?: { jwks?: Record<string, unknown> }; details?: { jwks?: Record<string, unknown> } } | undefined;
    return {
      status: res.status,
      jwks: json?.info?.jwks ?? (json?.details as { details?: { jwks?: Record<string, unknown> } })?.details?.jwks,
    };
  };
  const lastResult = async (app: TestApp) => (await readiness(app)).jwks?.lastResult;

  describe('unknown kids', () => {
    const COOLDOWN_S = 4;
    let jwks: JwksTestServer;
    let app: TestApp<OrdersConfig>;

    beforeAll(async () => {
      jwks = await JwksTestServer.start(jwksOf(key));
      // A slow JWKS answer keeps the refetch in flight while the flood arrives.
      jwks.delayMs = 150;
      app = await boot(jwks, { JWKS_COOLDOWN_S: String(COOLDOWN_S) });
    });
    afterAll(async () => {
      await app?.close();
      await jwks?.close();
    });

    it('sends 1,000 concurrent tokens with distinct unknown kids and makes at most 1 JWKS request per cooldown window', async () => {
      // The kid is looked up before the signature is checked, so one signature serves every token.
      const signature = tokenFor(jwks, stranger).split('.')[2];
      const flood = async (label: string) => {
        const tokens = Array.from(
          { length: 1000 },
          (_, i) =>
            `${b64url({ alg: 'RS256', typ: 'at+jwt', kid: `${label}-${i}` })}.${b64url(accessClaims(jwks.url, 'orders', now()))}.${signature}`,
        );
        const before = jwks.requests;
        const responses = await Promise.all(tokens.map((token) => whoami(app, token)));
        for (const res of responses) {
          expect(res.status).toBe(401);
          expect(res.json?.code).toBe('token_unknown_key');
          expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
        }
        return jwks.requests - before;
      };
      await sleep(COOLDOWN_S * 1000 + 100); // past the cooldown that started with the start-up fetch
      // Two floods back to back: 2,000 unknown kids. Under load a flood can take long enough to
      // straddle a window boundary, so the bound is computed from the time that really passed.
      const started = Date.now();
      const fetched = (await flood('window1-a')) + (await flood('window1-b'));
      const windows = 1 + Math.floor((Date.now() - started) / (COOLDOWN_S * 1000));
      expect(fetched).toBeGreaterThanOrEqual(1);
      expect(fetched).toBeLessThanOrEqual(windows);
      await sleep(COOLDOWN_S * 1000 + 100);
      expect(await flood('window2')).toBe(1);
    });

    it('picks up a key published after start at the first token that uses it (rotation)', async () => {
      jwks.setDocument(jwksOf(key, newKey));
      await sleep(COOLDOWN_S * 1000 + 100);
      const res = await whoami(app, tokenFor(jwks, newKey));
      expect(res.status).toBe(200);
    });
  });

  describe('when the JWKS endpoint fails', () => {
    let jwks: JwksTestServer;
    let app: TestApp<OrdersConfig>;

    beforeAll(async () => {
      jwks = await JwksTestServer.start(jwksOf(key));
      jwks.maxAgeSeconds = 1; // refresh every second, so failures are seen quickly
      app = await boot(jwks, { JWKS_COOLDOWN_S: '1' });
    });
    afterAll(async () => {
      await app?.close();
      await jwks?.close();
    });

    it('revalidates with If-None-Match when max-age runs out', async () => {
      await waitFor(() => jwks.notModified > 0, 5000);
      expect(await lastResult(app)).toBe('not_modified');
    });

    async function expectServingFromCache(result: string): Promise<void> {
      await waitFor(async () => (await lastResult(app)) === result, 10_000);
      // A token never seen before (not in the verified-token cache) signed by a cached key.
      const known = await whoami(app, tokenFor(jwks));
      expect(known.status).toBe(200);
      // A kid the cache has never seen: we cannot tell a new key from a forged kid while the
      // JWKS cannot be refreshed.
      const unknown = await whoami(app, tokenFor(jwks, stranger));
      expect({ status: unknown.status, code: unknown.json?.code }).toEqual({ status: 401, code: 'keys_unavailable' });
      expect(unknown.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="/);
      // Still ready: cached keys are within the staleness bound. Degraded (the check's status, as
      // terminus reports an impaired but serving indicator), and it says why.
      const ready = await readiness(app);
      expect(ready.status).toBe(200);
      expect(ready.jwks).toMatchObject({ status: 'degraded', degraded: true, keys: 1, lastResult: result });
    }

    it('keeps verifying with the cached keys while the JWKS server is down', async () => {
      await jwks.down();
      await expectServingFromCache('network_error');
    });

    it('keeps verifying with the cached keys while the JWKS server answers 500', async () => {
      jwks.mode = 'error500';
      await jwks.up();
      await expectServingFromCache('http_error');
    });

    it('keeps verifying with the cached keys while the JWKS server answers invalid JSON', async () => {
      jwks.mode = 'invalid_json';
      await expectServingFromCache('invalid_json');
    });

    it('recovers when the JWKS server is healthy again', async () => {
      jwks.mode = 'ok';
      await waitFor(async () => ['updated', 'not_modified'].includes((await lastResult(app)) as string), 10_000);
      const unknown = await whoami(app, tokenFor(jwks, stranger));
      expect(unknown.json?.code).toBe('token_unknown_key');
      expect((await readiness(app)).jwks).not.toHaveProperty('degraded');
    });

    it('reports fetch failures and JWKS age in /metrics', async () => {
      const body = (await rawGet(`${app.managementUrl}/metrics`, [], agent)).body;
      for (const result of ['network_error', 'http_error', 'invalid_json', 'not_modified']) {
        expect(body).toMatch(
          new RegExp(`jwks_fetches_total\\{result="${result}",reason="(scheduled|retry|unknown_kid)",service="orders"\\} [1-9]`),
        );
      }
      expect(body).toMatch(/jwks_usable\{service="orders"\} 1/);
      expect(body).toMatch(/token_verifications_total\{outcome="keys_unavailable",service="orders"\} [1-9]/);
    });
  });

  it('starts while auth is down, is not ready until keys arrive, then verifies', async () => {
    const jwks = await JwksTestServer.start(jwksOf(key));
    await jwks.down();
    const app = await boot(jwks, { JWKS_COOLDOWN_S: '1' });
    try {
      const ready = await readiness(app);
      expect(ready.status).toBe(503);
      const early = await whoami(app, tokenFor(jwks));
      expect({ status: early.status, code: early.json?.code }).toEqual({ status: 401, code: 'keys_unavailable' });
      await jwks.up();
      await waitFor(async () => (await readiness(app)).status === 200, 10_000);
      expect((await whoami(app, tokenFor(jwks))).status).toBe(200);
    } finally {
      await app.close();
      await jwks.close();
    }
  });

  it('stops accepting tokens once the cached JWKS is older than JWKS_MAX_STALENESS_S', async () => {
    const jwks = await JwksTestServer.start(jwksOf(key));
    jwks.maxAgeSeconds = 1;
    const app = await boot(jwks, { JWKS_COOLDOWN_S: '1', JWKS_MAX_STALENESS_S: '2' });
    try {
      expect((await whoami(app, tokenFor(jwks))).status).toBe(200);
      await jwks.down();
      await waitFor(async () => (await readiness(app)).status === 503, 10_000);
      const res = await whoami(app, tokenFor(jwks));
      expect({ status: res.status, code: res.json?.code }).toEqual({ status: 401, code: 'keys_unavailable' });
    } finally {
      await app.close();
      await jwks.close();
    }
  });
});
