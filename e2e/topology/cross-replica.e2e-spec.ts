import type { RotateResult } from '@authmesh/contracts';
import { waitFor } from '@authmesh/testing';
import { decodeProtectedHeader } from 'jose';
import { CodeFlowBrowser } from '../../tools/demo/browser-login.js';
import { authctl, bearer, call } from '../../tools/demo/http.js';
import { PASSWORD, type TestTopology, newAccount, startTestTopology } from './support.js';

const kidOf = (token: string): string => decodeProtectedHeader(token).kid!;

// The multi-process topology (tools/topology: auth ×2, orders ×2, profiles ×1, gateway ×2, each
// its own OS process from dist/, a round-robin in front of each service) on the real PostgreSQL
// and Redis. What a single process cannot show: state that must cross process boundaries — the
// keyring (Postgres + the Redis announcement) and the blocklist (Redis + every verifier's mirror).
describe('the multi-process topology (e2e: 7 processes, real PostgreSQL and Redis)', () => {
  let topo: TestTopology;

  beforeAll(async () => {
    topo = await startTestTopology();
  }, 80_000);
  afterAll(async () => {
    await topo?.close();
  }, 30_000);

  const [auth1, auth2] = [0, 1].map((i) => () => topo.replicas.auth[i]!.url);

  async function login(authUrl: string, email: string): Promise<string> {
    const res = await call<{ access_token: string }>(`${authUrl}/auth/login`, { body: { email, password: PASSWORD } });
    expect(res.status).toBe(200);
    return res.body.access_token;
  }

  /** `GET /whoami` at every orders and profiles replica directly: the statuses (and codes) they answer. */
  async function everyVerifier(token: string): Promise<string[]> {
    const replicas = [...topo.replicas.orders, ...topo.replicas.profiles];
    return Promise.all(
      replicas.map(async (r) => {
        const res = await call<{ code?: string }>(`${r.url}/whoami`, { headers: bearer(token) });
        return `${r.service}-${r.index}: ${res.status}${res.body.code ? ` ${res.body.code}` : ''}`;
      }),
    );
  }
  const allAnswer = (status: string): string[] => [
    ...topo.replicas.orders.map((r) => `orders-${r.index}: ${status}`),
    ...topo.replicas.profiles.map((r) => `profiles-${r.index}: ${status}`),
  ];

  it('runs every service as its own process, behind its round-robin', () => {
    const pids = Object.values(topo.replicas).flatMap((rs) => rs.map((r) => r.process.pid));
    expect(pids).toHaveLength(7);
    expect(new Set(pids).size).toBe(7);
    expect(pids).not.toContain(process.pid);
    expect(Object.fromEntries(Object.entries(topo.replicas).map(([s, rs]) => [s, rs.length]))).toEqual({
      auth: 2,
      orders: 2,
      profiles: 1,
      gateway: 2,
    });
  });

  it('a key rotated through auth replica 1 (authctl keys rotate --now) signs the tokens replica 2 issues, and they verify at orders and profiles', async () => {
    const email = await newAccount(topo.urls.auth, 'rotate');
    const before = await login(auth2(), email);
    const rotated = await authctl<RotateResult>(auth1(), ['keys', 'rotate', '--now', '--reason', 'topology test'], {
      ...process.env,
      AUTHCTL_CLIENT_SECRET: topo.secrets.clientSecret('authctl'),
    });
    const kid = rotated.key.kid;
    expect(rotated.previous?.kid).toBe(kidOf(before));
    expect(kid).not.toBe(kidOf(before));
    // Replica 2 learns the change through the Redis announcement (ms), or its next keyring reload.
    const started = Date.now();
    let fromReplica2 = await login(auth2(), email);
    while (kidOf(fromReplica2) !== kid) {
      if (Date.now() - started > 5000) throw new Error(`auth replica 2 still signs with ${kidOf(fromReplica2)}, not ${kid}`);
      await new Promise((r) => setTimeout(r, 50));
      fromReplica2 = await login(auth2(), email);
    }
    if (process.env.SHOW_TIMINGS) process.stdout.write(`rotation on auth-1 → auth-2 signs with it: ${Date.now() - started} ms\n`);
    // Every verifier accepts it (an unknown kid makes a verifier refetch the JWKS, through auth's
    // round-robin, from either replica), and the token signed before still verifies (retiring key).
    expect(await everyVerifier(fromReplica2)).toEqual(allAnswer('200'));
    expect(await everyVerifier(before)).toEqual(allAnswer('200'));
    // Both replicas publish the same key set.
    const jwks = await Promise.all(
      [auth1(), auth2()].map(async (u) =>
        (await call<{ keys: { kid: string }[] }>(`${u}/.well-known/jwks.json`)).body.keys.map((k) => k.kid).sort(),
      ),
    );
    expect(jwks[0]).toEqual(jwks[1]);
    expect(jwks[0]).toEqual(expect.arrayContaining([kid, kidOf(before)]));
  });

  it('a logout through gateway replica 1 is honoured by gateway replica 2 (bearer: 401 token_revoked) and by every verifier', async () => {
    const [gw1, gw2] = topo.replicas.gateway.map((r) => r.url);
    const email = await newAccount(topo.urls.auth, 'logout');
    // The bearer token from auth's own JSON login (first-party, non-browser): the gateway takes no password.
    const res = await call<{ access_token: string }>(`${topo.urls.auth}/auth/login`, { body: { email, password: PASSWORD } });
    expect(res.status).toBe(200);
    const token = res.body.access_token;
    expect((await call(`${gw2}/api/orders`, { headers: bearer(token) })).status).toBe(200);

    expect((await call(`${gw1}/auth/logout`, { body: {}, headers: bearer(token) })).status).toBe(200);
    // The blocklist entry reaches gateway 2's mirror through Redis within milliseconds.
    await waitFor(async () => (await call(`${gw2}/api/orders`, { headers: bearer(token) })).status === 401, 1000, 10);
    const refused = await call<{ code: string }>(`${gw2}/api/orders`, { headers: bearer(token) });
    expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 401, code: 'token_revoked' });
    expect(await everyVerifier(token)).toEqual(allAnswer('401 token_revoked'));
  });

  it('a cookie session logged in on gateway 1 works on gateway 2, and its logout on gateway 1 ends it on gateway 2', async () => {
    const [gw1, gw2] = topo.replicas.gateway.map((r) => r.url);
    // Both replicas answer for one public origin (their round-robin's): what the browser sends.
    const origin = topo.urls.gateway;
    const email = await newAccount(topo.urls.auth, 'session');
    // The code flow through gateway 1 (its /session/login and /session/callback), auth's login page in between.
    const browser = new CodeFlowBrowser(gw1);
    const session = await browser.signIn(email, PASSWORD);
    const cookie = session.cookie;
    expect((await call(`${gw2}/api/orders`, { headers: { cookie } })).status).toBe(200);
    const out = await call(`${gw1}/session/logout`, { method: 'POST', headers: { cookie, origin, 'x-csrf-token': session.csrfToken } });
    expect(out.status).toBe(200);
    const after = await call<{ code: string }>(`${gw2}/api/orders`, { headers: { cookie } });
    expect({ status: after.status, code: after.body.code }).toEqual({ status: 401, code: 'session_expired' });
  });
});
