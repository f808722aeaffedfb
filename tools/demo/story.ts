import type { RevokeKeyResult, RotateResult } from '@authmesh/contracts';
import { createRedisClient, parseRedisUrl } from '@authmesh/platform';
import { RevocationKeyspace } from '@authmesh/revocation';
import { randomBytes } from 'node:crypto';
import { type BrowserSession, CodeFlowBrowser } from './browser-login.js';
import { type Answer, authctl, bearer, call } from './http.js';

export interface DemoTarget {
  gatewayUrl: string;
  authUrl: string;
  ordersUrl: string;
  profilesUrl: string;
  /** The suite's Redis, or undefined (or memory://): the flush step is then skipped. */
  redisUrl?: string;
  /** The environment authctl runs with (its AUTHCTL_CLIENT_SECRET or AUTHMESH_DATA_DIR). */
  authctlEnv: Record<string, string | undefined>;
}

export type StepResult = 'ok' | 'FAILED' | 'skipped' | 'not run';

export interface StepReport {
  step: string;
  result: StepResult;
  ms: number;
  detail: string;
}

/** A step: its detail line when it behaved, `{ skipped }` when it could not apply, a throw when it misbehaved. */
type Step = () => Promise<string | { skipped: string }>;

class Misbehaved extends Error {}

function expectAnswer(what: string, res: Answer<unknown>, status: number, code?: string): void {
  const got = (res.body as { code?: unknown } | undefined)?.code;
  if (res.status !== status || (code !== undefined && got !== code)) {
    throw new Misbehaved(
      `${what}: expected ${status}${code ? ` ${code}` : ''}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
const short = (kid: string): string => kid.slice(0, 12);

/**
 * The story of issue 16, told against a running suite: each step calls the real endpoints (the
 * ones README, docs/api.md and the e2e tests use), checks what it must see, and says so in one line.
 */
export async function runStory(target: DemoTarget, print: (line: string) => void): Promise<StepReport[]> {
  const { gatewayUrl, authUrl, ordersUrl, profilesUrl } = target;
  const origin = new URL(gatewayUrl).origin;
  const email = `demo-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const password = 'a long demo passphrase';
  const state: { tokenA?: string; tokenB?: string; tokenC?: string; session?: BrowserSession; oldKid?: string; newKid?: string } = {};
  const browser = new CodeFlowBrowser(gatewayUrl);

  /**
   * A bearer token from auth's own JSON password login: the first-party, non-browser client's way
   * (tests, scripts). Browsers sign in on auth's hosted page instead; the gateway takes no password.
   */
  const login = async (): Promise<string> => {
    const res = await call<{ access_token: string }>(`${authUrl}/auth/login`, { body: { email, password } });
    expectAnswer('POST /auth/login at auth', res, 200);
    return res.body.access_token;
  };
  /** The three places a token is checked: the gateway's edge, and orders and profiles on their own. */
  const everywhere = (token: string): Promise<Answer<{ code?: string }>>[] => [
    call<{ code?: string }>(`${gatewayUrl}/api/orders`, { headers: bearer(token) }),
    call<{ code?: string }>(`${ordersUrl}/orders`, { headers: bearer(token) }),
    call<{ code?: string }>(`${profilesUrl}/profiles/me`, { headers: bearer(token) }),
  ];
  const WHERE = ['gateway', 'orders', 'profiles'];
  const answersEverywhere = async (token: string): Promise<string[]> =>
    (await Promise.all(everywhere(token))).map((r, i) => `${WHERE[i]} ${r.status}${r.body.code ? ` ${r.body.code}` : ''}`);
  const expectEverywhere = async (what: string, token: string, status: number, code?: string): Promise<void> => {
    const got = await answersEverywhere(token);
    const want = WHERE.map((w) => `${w} ${status}${code ? ` ${code}` : ''}`);
    if (got.join() !== want.join()) throw new Misbehaved(`${what}: expected ${want.join(', ')}; got ${got.join(', ')}`);
  };
  /** Polls until every place answers `status code`, or fails after `withinMs`; how long it took. */
  const untilEverywhere = async (what: string, token: string, status: number, code: string, withinMs: number): Promise<number> => {
    const start = Date.now();
    for (;;) {
      const got = await answersEverywhere(token);
      if (got.every((g) => g.endsWith(`${status} ${code}`))) return Date.now() - start;
      if (Date.now() - start > withinMs) throw new Misbehaved(`${what}: not refused everywhere within ${withinMs} ms: ${got.join(', ')}`);
      await sleep(10);
    }
  };

  const steps: [string, Step][] = [
    [
      'register',
      async () => {
        const res = await call(`${authUrl}/auth/register`, { body: { email, password } });
        expectAnswer('POST /auth/register at auth', res, 202);
        return `${email} (202, the same answer for any address)`;
      },
    ],
    [
      'log in at auth: bearer (first-party, non-browser)',
      async () => {
        state.tokenA = await login();
        return `an access token signed by key ${short(kidOf(state.tokenA))}…`;
      },
    ],
    [
      'sign in through the gateway: browser, code flow',
      async () => {
        // GET /session/login → auth's /oauth/authorize → its hosted login form → /session/callback.
        state.session = await browser.signIn(email, password);
        const session = await call<{ authenticated: boolean }>(`${gatewayUrl}/session`, { headers: { cookie: state.session.cookie } });
        if (session.body.authenticated !== true) throw new Misbehaved(`GET /session with the cookie: ${JSON.stringify(session.body)}`);
        return "auth's login page took the password; the gateway got a code, and the browser an HttpOnly cookie and a CSRF token";
      },
    ],
    [
      'create an order (orders calls profiles)',
      async () => {
        const profile = await call(`${gatewayUrl}/api/profiles/me`, {
          method: 'PUT',
          headers: bearer(state.tokenA!),
          body: { displayName: 'Demo', shippingAddress: { line1: '1 Main Street', city: 'Lyon', postalCode: '69001', country: 'FR' } },
        });
        expectAnswer('PUT /api/profiles/me', profile, 200);
        const order = await call<{ id: string; total: number; shippingAddress?: { city?: string } }>(`${gatewayUrl}/api/orders`, {
          headers: bearer(state.tokenA!),
          body: { items: [{ sku: 'BOOK-1', quantity: 2 }], currency: 'EUR' },
        });
        expectAnswer('POST /api/orders (bearer)', order, 201);
        // The address is only at profiles: orders fetched it with its own client-credentials token.
        if (order.body.shippingAddress?.city !== 'Lyon')
          throw new Misbehaved(`the order has no address from profiles: ${JSON.stringify(order.body)}`);
        const bySession = await call(`${gatewayUrl}/api/orders`, {
          headers: { cookie: state.session!.cookie, origin, 'x-csrf-token': state.session!.csrfToken },
          body: { items: [{ sku: 'PEN-7', quantity: 1 }], currency: 'EUR' },
        });
        expectAnswer('POST /api/orders (cookie session + CSRF)', bySession, 201);
        return `order ${order.body.id.slice(0, 8)}… total ${order.body.total} EUR cents, shipped to Lyon (address from profiles); a second one by the session`;
      },
    ],
    [
      'log out (bearer and session)',
      async () => {
        expectAnswer('POST /auth/logout', await call(`${authUrl}/auth/logout`, { body: {}, headers: bearer(state.tokenA!) }), 200);
        const out = await browser.signOut(state.session!);
        if (out.status !== 200) throw new Misbehaved(`POST /session/logout answered ${out.status}`);
        return `the token is blocklisted (Redis, then every mirror), the session is gone and auth's SSO session ended (back at ${out.landedOn ?? '?'})`;
      },
    ],
    [
      'the logged-out token is refused everywhere',
      async () => {
        const ms = await untilEverywhere('the logged-out token', state.tokenA!, 401, 'token_revoked', 1000);
        expectAnswer(
          'the ended session at the gateway',
          await call(`${gatewayUrl}/api/orders`, { headers: { cookie: state.session!.cookie } }),
          401,
          'session_expired',
        );
        return `401 token_revoked at the gateway, orders and profiles (after ${ms} ms); the cookie: 401 session_expired`;
      },
    ],
    [
      'rotate the signing key (authctl keys rotate --now)',
      async () => {
        state.tokenB = await login();
        const rotated = await authctl<RotateResult>(authUrl, ['keys', 'rotate', '--now', '--reason', 'npm run demo'], target.authctlEnv);
        state.oldKid = rotated.previous?.kid ?? kidOf(state.tokenB);
        state.newKid = rotated.key.kid;
        if (state.oldKid !== kidOf(state.tokenB))
          throw new Misbehaved(`the rotated-out key ${state.oldKid} is not the one that signed the last token`);
        return `key ${short(state.newKid)}… signs now; ${short(state.oldKid)}… is retiring (still published)`;
      },
    ],
    [
      'old tokens still verify, new tokens carry the new kid',
      async () => {
        await expectEverywhere('a token signed before the rotation', state.tokenB!, 200);
        // Auth's replicas (if several) pick the change up from the Redis announcement within ms.
        const start = Date.now();
        state.tokenC = await login();
        while (kidOf(state.tokenC) !== state.newKid) {
          if (Date.now() - start > 5000) throw new Misbehaved(`new tokens still carry ${kidOf(state.tokenC)}, not ${state.newKid}`);
          await sleep(50);
          state.tokenC = await login();
        }
        await expectEverywhere('a token signed by the new key', state.tokenC, 200);
        return `old token (${short(state.oldKid!)}…) 200 everywhere; new token carries ${short(state.newKid!)}…, 200 everywhere`;
      },
    ],
    [
      'emergency: revoke the old key (authctl keys revoke)',
      async () => {
        const res = await authctl<RevokeKeyResult>(
          authUrl,
          // `--` first: a kid is a base64url thumbprint and may start with '-', which the parser would take for an option.
          ['keys', 'revoke', '--reason', 'npm run demo: key leaked', '--', state.oldKid!],
          target.authctlEnv,
        );
        if (res.revoked.kid !== state.oldKid || res.active.kid !== state.newKid)
          throw new Misbehaved(`unexpected revoke answer: ${JSON.stringify(res)}`);
        const ms = await untilEverywhere('a token signed by the revoked key', state.tokenB!, 401, 'token_revoked', 1000);
        await expectEverywhere('a token signed by the active key', state.tokenC!, 200);
        return `its tokens: 401 token_revoked at the gateway, orders and profiles within ${ms} ms (≤ 1000); the new key's tokens still 200`;
      },
    ],
    [
      'FLUSHALL Redis: the revocations still hold',
      async () => {
        const parsed = target.redisUrl === undefined ? undefined : parseRedisUrl(target.redisUrl);
        if (!parsed?.ok || parsed.config.kind === 'memory') {
          return { skipped: 'the suite runs on the in-memory stand-in (REDIS_URL unset or memory://): there is no Redis to flush' };
        }
        if (parsed.config.kind === 'cluster') {
          return { skipped: 'REDIS_URL is a Cluster: FLUSHALL empties one node at a time, not the data set at once' };
        }
        const keyspace = new RevocationKeyspace();
        // The services' own client factory: one server or the master a Sentinel names.
        const redis = createRedisClient(parsed.config, { connectionName: 'authmesh-demo' });
        redis.on('error', () => undefined);
        try {
          await redis.connect();
          if (!/^\d+$/.test((await redis.get(keyspace.generationKey)) ?? '')) {
            throw new Misbehaved(`${keyspace.generationKey} is not in the Redis of REDIS_URL: is it the suite's?`);
          }
          await redis.flushall();
          const start = Date.now();
          // During the re-seed and after it: the logged-out token and the revoked key's stay refused.
          // A number: the seed is complete (while auth seeds, the key holds its `seeding:` claim).
          const seeded = async (): Promise<boolean> => /^\d+$/.test((await redis.get(keyspace.generationKey)) ?? '');
          while (!(await seeded())) {
            await expectEverywhere('the logged-out token, Redis empty', state.tokenA!, 401, 'token_revoked');
            await expectEverywhere("the revoked key's token, Redis empty", state.tokenB!, 401, 'token_revoked');
            if (Date.now() - start > 10_000) throw new Misbehaved('auth did not re-seed the flushed Redis within 10 s');
            await sleep(100);
          }
          const reseededMs = Date.now() - start;
          const jti = (JSON.parse(Buffer.from(state.tokenA!.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
          if ((await redis.exists(keyspace.jtiKey(jti))) !== 1) throw new Misbehaved('the re-seed did not restore the logged-out token');
          await expectEverywhere('the logged-out token after the re-seed', state.tokenA!, 401, 'token_revoked');
          await expectEverywhere("the revoked key's token after the re-seed", state.tokenB!, 401, 'token_revoked');
          await expectEverywhere('a good token after the re-seed', state.tokenC!, 200);
          return `Redis emptied; auth re-seeded it from its ledger in ${reseededMs} ms; revoked tokens 401 throughout, the good one 200`;
        } finally {
          redis.disconnect();
        }
      },
    ],
  ];

  const reports: StepReport[] = [];
  let failed = false;
  for (const [i, [name, step]] of steps.entries()) {
    const label = `${String(i + 1).padStart(2)}. ${name}`;
    if (failed) {
      reports.push({ step: name, result: 'not run', ms: 0, detail: '' });
      continue;
    }
    const start = performance.now();
    try {
      const outcome = await step();
      const ms = Math.round(performance.now() - start);
      if (typeof outcome === 'string') {
        reports.push({ step: name, result: 'ok', ms, detail: outcome });
        print(`✓ ${label}: ${outcome} (${ms} ms)`);
      } else {
        reports.push({ step: name, result: 'skipped', ms, detail: outcome.skipped });
        print(`- ${label}: skipped, ${outcome.skipped}`);
      }
    } catch (e) {
      const ms = Math.round(performance.now() - start);
      failed = true;
      const why = e instanceof Error ? e.message : String(e);
      reports.push({ step: name, result: 'FAILED', ms, detail: why });
      print(`✗ ${label}: ${why} (${ms} ms)`);
    }
  }
  return reports;
}
