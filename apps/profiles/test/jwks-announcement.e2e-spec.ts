import type { Agent } from 'node:http';
import { RedisRevocationStore } from '@authmesh/revocation';
import {
  type TestApp,
  JwksTestServer,
  accessClaims,
  b64url,
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
import { JwksCache, type JwksFetchReason, type JwksFetchResult } from '@authmesh/token-verifier';
import { Redis } from 'ioredis';
import { type ProfilesConfig, profilesApp } from '../src/profiles.app.js';

/**
 * The topology bug (auth ×2 behind a round-robin): a `rotate --now` is announced on the revocation
 * stream, profiles refetches the JWKS, and the request reaches the auth replica that has not
 * reloaded its keyring yet: a 304. Before the fix the new key stayed unknown until the
 * unknown-kid cooldown (`JWKS_COOLDOWN_S`, 30 s) from an earlier unknown kid ran out. Here the
 * JWKS endpoint (real socket) answers the first request after the change from the old document,
 * and the announcement goes through the real Redis stream to the real profiles service.
 */
describe('profiles: a key-set announcement first answered by a lagging auth replica (e2e)', () => {
  const k1 = generateSigningKey('auth-key-1');
  const k2 = generateSigningKey('auth-key-2');
  const stranger = generateSigningKey('never-published');
  let jwks: JwksTestServer;
  let app: TestApp<ProfilesConfig>;
  let writer: Redis;
  let store: RedisRevocationStore;
  let agent: Agent;
  const fetches: { reason: JwksFetchReason; result: JwksFetchResult; at: number }[] = [];
  const nowS = () => Math.floor(Date.now() / 1000);
  const whoami = (token: string) => getWithToken(`${app.url}/whoami`, token, agent);
  const tokenOf = (key: typeof k1) => signToken(key, accessClaims(jwks.url, 'profiles', nowS()));
  /** Tokens with made-up kids (looked up before the signature is checked: one signature serves all). */
  const randomKidTokens = (label: string, n: number) => {
    const signature = tokenOf(stranger).split('.')[2];
    return Array.from(
      { length: n },
      (_, i) =>
        `${b64url({ alg: 'RS256', typ: 'at+jwt', kid: `${label}-${i}` })}.${b64url(accessClaims(jwks.url, 'profiles', nowS()))}.${signature}`,
    );
  };

  beforeAll(async () => {
    jwks = await JwksTestServer.start(jwksOf(k1));
    app = await newTestApp(profilesApp, { AUTH_ISSUER: jwks.url, AUTH_JWKS_URI: jwks.jwksUri, JWKS_COOLDOWN_S: '30' });
    app.app.get(JwksCache).onFetch((result, reason) => fetches.push({ reason, result, at: Date.now() }));
    agent = testAgent();
    writer = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await writer.connect();
    store = new RedisRevocationStore(writer, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
    // Ready = JWKS loaded and the revocation mirror subscribed to the stream.
    await waitFor(async () => (await rawGet(`${app.managementUrl}/health/ready`, [], agent)).status === 200, 10_000);
  });
  afterAll(async () => {
    agent?.destroy();
    writer?.disconnect();
    await app?.close();
    await jwks?.close();
  });

  it('learns the new key within 1 s, with the unknown-kid refetch still in its 30 s cooldown', async () => {
    // An unknown kid now: its refetch starts the 30 s cooldown.
    expect((await whoami(tokenOf(stranger))).json?.code).toBe('token_unknown_key');
    expect(fetches.filter((f) => f.reason === 'unknown_kid')).toHaveLength(1);
    fetches.length = 0;

    jwks.setDocument(jwksOf(k1, k2), { staleRequests: 1 }); // the replica that has not reloaded answers first
    const announcedAt = Date.now();
    await store.announceKeysetChange(jwks.url, new Date());
    // No token is sent until the cache holds the key: the announcement's own retry finds it.
    await waitFor(() => app.app.get(JwksCache).status().kids.includes(k2.kid), 2_000, 5);
    const learnedMs = Date.now() - announcedAt;
    if (process.env.SHOW_TIMINGS) process.stdout.write(`new key learned ${learnedMs} ms after the announcement\n`);
    expect(learnedMs).toBeLessThan(1_000);
    expect(jwks.staleAnswers).toBe(1);
    expect(fetches.map((f) => `${f.reason}:${f.result}`)).toEqual(['announcement:not_modified', 'announcement:updated']);
    expect((await whoami(tokenOf(k2))).status).toBe(200);
  });

  it('still makes at most one JWKS request for a flood of random kids: the one the announcement allowed', async () => {
    const before = jwks.requests;
    const first = await Promise.all(randomKidTokens('after-announcement', 1000).map((t) => whoami(t)));
    for (const res of first) expect(res.json?.code).toBe('token_unknown_key');
    expect(jwks.requests - before).toBeLessThanOrEqual(1);
    const second = await Promise.all(randomKidTokens('within-cooldown', 1000).map((t) => whoami(t)));
    for (const res of second) expect(res.json?.code).toBe('token_unknown_key');
    expect(jwks.requests - before).toBeLessThanOrEqual(1);
  });
});
