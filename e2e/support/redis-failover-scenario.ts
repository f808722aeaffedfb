import type { TestApp } from '@authmesh/testing';
import { requestsServed, waitFor } from '@authmesh/testing';
import { Browser } from '../gateway/support/browser.js';
import { loginAt, registerUser, startAuth, startGateway, startServices } from '../gateway/support/gateway-fixture.js';

/**
 * What the Sentinel and Cluster e2e files share: the suite (auth, orders, profiles, gateway) on a
 * REDIS_URL of the topology under test, and one failover scenario that checks behaviour only — the
 * HTTP answers — so it holds whatever the revocation feed does inside.
 */
export interface RedisTopologyUnderTest {
  /** REDIS_URL for every app. */
  readonly url: string;
  /** A real failover of the server holding the revocation data; resolves once a replica took over. */
  failover(): Promise<void>;
  /**
   * Resolves once the replicas hold every write made so far: the session made before the failover
   * can only survive it if it reached the replica that takes over (replication is asynchronous).
   */
  replicated(): Promise<void>;
}

/** orders' REVOCATION_MAX_STALENESS_S: short, so the failover window really reaches the outage policy. */
export const STALENESS_S = 2;

export interface Suite {
  auth: TestApp;
  orders: TestApp;
  profiles: TestApp;
  gateway: Awaited<ReturnType<typeof startGateway>>;
  close(): Promise<void>;
}

/**
 * Auth issues 30 s access tokens (its minimum) and the gateway refreshes a session's token when it
 * has 28 s left, so a request 2 s after login refreshes under the session's lock (SET_IF_LOCKED,
 * the one two-key script), as in e2e/gateway/bff.e2e-spec.ts.
 */
export const REFRESH_AFTER_MS = 2000;

export async function startSuite(redisUrl: string): Promise<Suite> {
  const env = { REDIS_URL: redisUrl };
  const auth = await startAuth({ ...env, AUTH_ACCESS_TOKEN_TTL_S: '30' });
  const { orders, profiles } = await startServices(auth, { ...env, REVOCATION_MAX_STALENESS_S: String(STALENESS_S) });
  const gateway = await startGateway(
    { auth, ordersUrl: orders.url, profilesUrl: profiles.url },
    { ...env, GATEWAY_SESSION_REFRESH_BEFORE_S: '28' },
  );
  return {
    auth,
    orders,
    profiles,
    gateway,
    close: async () => {
      await gateway.close();
      await Promise.all([orders.close(), profiles.close()]);
      await auth.close();
    },
  };
}

/** Every app's /health/ready is 200: its Redis ping (on a Cluster, every master) and its checks pass. */
export async function allReady(suite: Suite): Promise<boolean> {
  const apps = [suite.auth, suite.orders, suite.profiles, suite.gateway];
  const statuses = await Promise.all(apps.map(async (app) => (await fetch(`${app.managementUrl}/health/ready`)).status));
  return statuses.every((s) => s === 200);
}

export interface Answer {
  readonly status: number;
  readonly code?: string;
}

export async function whoami(suite: Suite, token: string): Promise<Answer> {
  const res = await fetch(`${suite.orders.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json().catch(() => ({}))) as { code?: string };
  return { status: res.status, code: body.code };
}

/** A user's access token from auth's /auth/login. */
export async function newUserToken(suite: Suite, label: string): Promise<string> {
  return (await loginAt(suite.auth.url, await registerUser(suite.auth.url, label))).access_token;
}

/** Revokes `token` through auth's API (RFC 7009-style logout: the access token and its refresh family). */
export async function logout(suite: Suite, token: string): Promise<number> {
  const res = await fetch(`${suite.auth.url}/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: '{}',
  });
  return res.status;
}

/**
 * Asks orders about every watched token every 50 ms and records any 200 for a token orders had
 * already refused as revoked: a mirror that lost an entry (a re-sync that read a partial
 * blocklist, a failover that dropped it) shows up here, whenever during the test it happens.
 * A revocation is eventually consistent (it reaches orders within the propagation time, or orders
 * turns to its outage policy past REVOCATION_MAX_STALENESS_S), so a token counts as refused from
 * the first 401 `token_revoked` orders gives for it.
 */
export class RevokedTokenWatch {
  private readonly refused = new Map<string, string>();
  private readonly pending = new Map<string, string>();
  readonly accepted: string[] = [];
  /** How often orders gave each status for a token it had already refused. */
  readonly statuses = new Map<number, number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly suite: Suite) {
    this.loop = this.run();
  }

  /** Watch `token` (named `label` in failures) from now on. */
  watch(label: string, token: string): void {
    this.pending.set(token, label);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const tokens = [...this.pending.keys(), ...this.refused.keys()];
      await Promise.all(
        tokens.map(async (token) => {
          const answer = await whoami(this.suite, token).catch(() => undefined);
          if (!answer) return;
          const refusedLabel = this.refused.get(token);
          if (refusedLabel !== undefined) {
            this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
            if (answer.status === 200) this.accepted.push(`${refusedLabel} accepted after it was refused`);
          }
          if (answer.status === 401 && answer.code === 'token_revoked' && this.pending.has(token)) {
            this.refused.set(token, this.pending.get(token)!);
            this.pending.delete(token);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The failover scenario of issue 15 on one topology:
 * revoke → 401 at orders; fail over the server holding the revocation data while revoking; then
 * the revocations made before, during and after the failover all hold at orders once it is fresh,
 * a token never revoked answers 200 again, a BFF session made before the failover still works,
 * and at no moment did orders accept (200) a token it had refused.
 */
export async function failoverScenario(suite: Suite, topology: RedisTopologyUnderTest): Promise<void> {
  const [before, during, after, bystander] = await Promise.all(
    ['rt-before', 'rt-during', 'rt-after', 'rt-bystander'].map((label) => newUserToken(suite, label)),
  );
  const browser = new Browser(suite.gateway);
  expect((await browser.login(await registerUser(suite.auth.url, 'rt-bff'))).status).toBe(200);
  const loggedInAt = Date.now();
  expect((await whoami(suite, bystander)).status).toBe(200);

  // Revoke → 401 at a verifier, on this topology.
  expect(await logout(suite, before)).toBe(200);
  await waitFor(async () => (await whoami(suite, before)).code === 'token_revoked', 5000, 50);

  const watch = new RevokedTokenWatch(suite);
  try {
    watch.watch('before', before);
    await topology.replicated();
    const failover = topology.failover();
    // A revocation while the server holding the data is gone or being replaced: auth accepts it
    // (its ledger is Postgres) and its outbox retries the Redis write until a master takes it.
    await new Promise((r) => setTimeout(r, 300));
    expect(await logout(suite, during)).toBe(200);
    watch.watch('during', during);
    await failover;
    expect(await logout(suite, after)).toBe(200);
    watch.watch('after', after);

    // Fresh again: the bystander passes, and every revocation holds.
    await waitFor(async () => (await whoami(suite, bystander)).status === 200, 30_000, 100);
    await waitFor(
      async () => {
        const answers = await Promise.all([before, during, after].map((t) => whoami(suite, t)));
        return answers.every((a) => a.status === 401 && a.code === 'token_revoked');
      },
      20_000,
      100,
    );
    expect((await whoami(suite, bystander)).status).toBe(200);
    // Every app's connection found the new master: ready again.
    await waitFor(() => allReady(suite), 10_000, 100);

    // The session made before the failover was replicated before it: it survived, and (its access
    // token now due) is refreshed under its lock on the new master.
    await sessionStillWorks(suite, browser, loggedInAt);

    // A second look, after a few more polls: nothing refused was accepted at any moment.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await watch.stop();
  }
  expect(watch.accepted).toEqual([]);
  // Orders only ever answered 401 (revoked) or 503 (outage policy, past the staleness bound) for them.
  expect([...watch.statuses.keys()].every((s) => s === 401 || s === 503)).toBe(true);
}

/** Requests served by auth's token endpoint (refreshes, exchanges). */
const tokenGrants = (suite: Suite): Promise<number> => requestsServed(suite.auth.managementUrl, 'POST', '/oauth/token');

/**
 * `browser`'s session answers, and a request past REFRESH_AFTER_MS refreshes its access token
 * (a grant at auth, the new tokens written with SET_IF_LOCKED) and reaches orders.
 */
export async function sessionStillWorks(suite: Suite, browser: Browser, loggedInAt = 0): Promise<void> {
  const wait = loggedInAt + REFRESH_AFTER_MS + 200 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  // Until every client has found the new master the store may answer 503 (sessions fail closed);
  // a session Redis kept must never read as gone (200 `authenticated: false`).
  let gone = false;
  await waitFor(
    async () => {
      const res = await browser.send<{ authenticated: boolean }>('GET', '/session');
      if (res.status === 200 && !res.body.authenticated) gone = true;
      return gone || res.status === 200;
    },
    10_000,
    100,
  );
  expect(gone).toBe(false);
  const grants = await tokenGrants(suite);
  // Orders (and the gateway's edge check) answer 503 by their outage policy until their mirror is
  // fresh again, when the master that failed also held the revocation data.
  await waitFor(async () => (await browser.send('GET', '/api/orders', undefined, { csrf: false })).status === 200, 15_000, 100);
  expect(await tokenGrants(suite)).toBeGreaterThan(grants);
  expect((await browser.send('GET', '/session')).body).toMatchObject({ authenticated: true });
}
