import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { JwksCache } from '@authmesh/token-verifier';
import { newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { ordersApp } from '../apps/orders/src/orders.app.js';
import { UNUSED_PROFILES_CLIENT_ENV } from '../apps/orders/test/support/profiles-client-env.js';

// Issue 7 over real sockets: auth rotates and revokes keys while orders and profiles verify
// locally against their cached JWKS. Short durations stand in for production ones: JWKS max-age
// 1 s, publish delay 2 s, lifecycle check every 200 ms.
const ISSUER = 'http://auth.test';
const OPS = { clientId: 'ops', secret: 'ops-secret-0123456789abcdefAbCdEfGhIjKl', scopes: ['auth:admin'], audiences: ['auth'] };
const CALLER = { clientId: 'caller', secret: 'caller-secret-0123456789abcAbCdEfGhIjKl', scopes: ['orders:read'], audiences: ['orders'] };
const PASSWORD = 'long enough password!';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key rotation seen by orders and profiles', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;

  beforeAll(async () => {
    auth = await newTestApp(authApp, {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: ISSUER,
      AUTH_SEED_CLIENTS: JSON.stringify([OPS, CALLER]),
      AUTH_JWKS_MAX_AGE_S: '1',
      AUTH_KEY_PUBLISH_DELAY_S: '2',
      AUTH_KEY_CHECK_INTERVAL_S: '0.2',
    });
    const verifierEnv = { AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` };
    [orders, profiles] = await Promise.all([
      newTestApp(ordersApp, { ...verifierEnv, ...UNUSED_PROFILES_CLIENT_ENV }),
      newTestApp(profilesApp, verifierEnv),
    ]);
  });
  afterAll(async () => {
    await Promise.all([orders?.close(), profiles?.close()]);
    await auth?.close();
  });

  async function clientToken(client: typeof OPS, audience: string): Promise<string> {
    const res = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience }).toString(),
    });
    if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function admin(path: string, body: unknown): Promise<{ status: number; body: { key: { kid: string }; active: { kid: string } } }> {
    const res = await fetch(`${auth.url}/admin/keys${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await clientToken(OPS, 'auth')}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { key: { kid: string }; active: { kid: string } } };
  }

  async function whoami(app: TestApp, token: string): Promise<{ status: number; code?: string }> {
    const res = await fetch(`${app.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  }

  const kidOf = (token: string): string => decodeProtectedHeader(token).kid!;

  async function publishedKids(): Promise<string[]> {
    const res = await fetch(`${auth.url}/.well-known/jwks.json`);
    return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
  }

  it('keeps a steady stream of requests at zero failures through three planned rotations and one --now rotation', async () => {
    const caches = [orders.app.get(JwksCache), profiles.app.get(JwksCache)];
    let unknownKidFetches = 0;
    for (const cache of caches) cache.onFetch((_result, reason) => (unknownKidFetches += reason === 'unknown_kid' ? 1 : 0));
    let current = await clientToken(CALLER, 'orders');
    let running = true;
    const failures: string[] = [];
    let requests = 0;
    const kidsUsed = new Set<string>();
    // A caller that fetches a fresh token every 100 ms (so new keys reach orders as soon as they sign)…
    const refresher = (async () => {
      while (running) {
        await sleep(100);
        current = await clientToken(CALLER, 'orders');
      }
    })();
    // …and four loops calling orders back to back with the latest token.
    const loops = Array.from({ length: 4 }, async () => {
      while (running) {
        const token = current;
        const res = await whoami(orders, token);
        requests++;
        kidsUsed.add(kidOf(token));
        if (res.status !== 200) failures.push(`${res.status} ${res.code} (kid ${kidOf(token)})`);
      }
    });

    const rotatedTo: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await admin('/rotate', { reason: `planned rotation ${i + 1}` });
      expect(res.status).toBe(201);
      const kid = res.body.key.kid as string;
      rotatedTo.push(kid);
      // Published before it signs: both verifiers hold the pending key while tokens still carry the old one.
      await waitFor(() => caches.every((c) => c.status().kids.includes(kid)), 1500, 10);
      expect(kidOf(await clientToken(CALLER, 'orders'))).not.toBe(kid);
      // The timer promotes it after the publish delay; wait until tokens carry it, then a little more.
      const deadline = Date.now() + 10_000;
      while (kidOf(current) !== kid) {
        if (Date.now() > deadline) throw new Error(`key ${kid} never started signing`);
        await sleep(50);
      }
      await sleep(300);
    }
    // No planned rotation made a verifier meet an unknown kid.
    expect(unknownKidFetches).toBe(0);
    const now = await admin('/rotate', { now: true, reason: 'immediate rotation' });
    expect(now.status).toBe(201);
    rotatedTo.push(now.body.key.kid as string);
    const deadline = Date.now() + 5_000;
    while (kidOf(current) !== now.body.key.kid) {
      if (Date.now() > deadline) throw new Error('the --now key never started signing');
      await sleep(20);
    }
    await sleep(500);
    running = false;
    await Promise.all([refresher, ...loops]);

    if (process.env.SHOW_TIMINGS) process.stdout.write(`rotation stream: ${requests} requests, ${failures.length} failed\n`);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(200);
    for (const kid of rotatedTo) expect(kidsUsed).toContain(kid);
    // Every verifier ends holding the new keys: exactly what auth publishes.
    const published = await publishedKids();
    expect(published).toEqual(expect.arrayContaining(rotatedTo));
    await sleep(1100); // one max-age, so a refresh has surely run since the last change
    expect([...orders.app.get(JwksCache).status().kids].sort()).toEqual(await publishedKids());
    expect([...profiles.app.get(JwksCache).status().kids].sort()).toEqual(await publishedKids());
  });

  it('refuses, within 1 s at orders and at profiles, a token signed by a key revoked in an emergency, while fresh tokens work', async () => {
    const email = `k-${randomBytes(5).toString('hex')}@example.com`;
    const json = { 'content-type': 'application/json' };
    await fetch(`${auth.url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password: PASSWORD }) });
    const login = async (): Promise<string> => {
      const res = await fetch(`${auth.url}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const leaked = await login();
    // Both services have verified (and cached) it.
    expect((await whoami(orders, leaked)).status).toBe(200);
    expect((await whoami(profiles, leaked)).status).toBe(200);

    const res = await admin(`/${kidOf(leaked)}/revoke`, { reason: 'private key leaked (test)' });
    expect(res.status).toBe(200);
    const revokedAt = Date.now();
    const refused = { orders: Number.NaN, profiles: Number.NaN };
    while (Number.isNaN(refused.orders) || Number.isNaN(refused.profiles)) {
      if (Date.now() - revokedAt > 1000) break;
      for (const [name, app] of [
        ['orders', orders],
        ['profiles', profiles],
      ] as const) {
        if (Number.isNaN(refused[name]) && (await whoami(app, leaked)).status === 401) refused[name] = Date.now() - revokedAt;
      }
    }
    if (process.env.SHOW_TIMINGS)
      process.stdout.write(`emergency revocation → first 401: orders ${refused.orders} ms, profiles ${refused.profiles} ms\n`);
    expect(refused.orders).toBeLessThanOrEqual(1000);
    expect(refused.profiles).toBeLessThanOrEqual(1000);
    expect(await whoami(orders, leaked)).toEqual({ status: 401, code: 'token_revoked' });
    expect(await whoami(profiles, leaked)).toEqual({ status: 401, code: 'token_revoked' });

    const fresh = await login();
    expect(kidOf(fresh)).toBe(res.body.active.kid);
    expect(await whoami(orders, fresh)).toEqual({ status: 200, code: undefined });
    expect(await whoami(profiles, fresh)).toEqual({ status: 200, code: undefined });
  });
});
