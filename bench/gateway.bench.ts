/**
 * `npm run bench:gateway`: what the authmesh gateway costs per request, measured against peers in
 * the same run with the real auth, orders and profiles services, real Postgres and real Redis.
 *
 * Targets, all answering the same user's `GET /orders` (two orders in Postgres) with one valid
 * user access token:
 *   direct            GET /orders on orders itself: no proxy at all
 *   bare proxy        GET /api/orders through a plain Fastify + @fastify/http-proxy (the library
 *                     the gateway is built on) with the /api prefix rewrite and nothing else: the
 *                     cheapest proxy, so "gateway − bare proxy" is the price of what the gateway adds
 *                     (edge verification for the routed audience, the revocation check, the header
 *                     rewrite, the Nest platform hooks: request id, metrics, the login-limit hook)
 *   gateway           apps/gateway in bearer mode with GATEWAY_FORWARD_UNCHANGED_ROUTES=orders: the
 *                     token is verified at the edge and forwarded as it came (the explicit opt-out)
 *   gateway+exchange  apps/gateway as configured by default: each request's token is swapped for an
 *                     orders-only token (RFC 8693); the exchanged token is cached, so auth's
 *                     POST /oauth/token count (its /metrics) must stay at one for the whole run.
 *                     "gateway+exchange − gateway" is the price of audiences per hop
 *
 * Method: a closed loop of `CONCURRENCY` keep-alive connections (undici Pool, one request in flight
 * per connection) drives one target at a time for `ROUND_MS`; targets take turns in a rotating
 * order over `ROUNDS` rounds after `WARMUP_ROUNDS` discarded ones, so drifting machine load hits
 * them all alike. Throughput is the median round; p50/p99 are over every measured request; each
 * overhead is the median of per-round ratios (paired slices a few seconds apart).
 *
 * Where things run: every server (auth, orders, profiles, both gateways, the bare proxy) on this
 * process's main thread, the load client in a worker thread of the same process (its own event
 * loop, so it does not queue behind the servers), Postgres and Redis in their own processes. On a
 * 2-core machine the client still competes with the servers for CPU: absolute numbers are lower
 * than on dedicated hardware, and the comparisons, not the absolute numbers, are what to read.
 * Because the servers share one thread that the load saturates, 1 / throughput is the server time
 * a request costs, and the difference between two targets is the time the extra hop adds.
 *
 * Exits 1 if any request fails (every answer must be a 200, and each target's page is checked
 * against orders' own) or the exchange cache lets more than one exchange through. There is no
 * throughput target yet: the table is the record.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { Pool } from 'undici';
import { GRANT_TOKEN_EXCHANGE } from '@authmesh/contracts';
import type { RunningApp } from '@authmesh/platform';
import { json } from './support/json-request.js';
import { measured, writeBenchReport } from './support/bench-report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 24);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 500);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
// Auth listens on a port chosen at start, so the issuer is a fixed name and verifiers get the JWKS URI.
const ISSUER = 'http://auth.bench';
const PASSWORD = 'a long bench passphrase';
const ORDERS_CLIENT = {
  clientId: 'orders',
  secret: randomBytes(32).toString('base64url'),
  scopes: ['profiles:read'],
  audiences: ['profiles'],
};
const GATEWAY_CLIENT = {
  clientId: 'gateway',
  secret: randomBytes(32).toString('base64url'),
  scopes: ['orders:read', 'orders:write', 'profiles:read', 'profiles:write'],
  audiences: ['orders', 'profiles'],
  // Bearer requests only: the bench measures the exchange, never a browser login, so the gateway's
  // client has no code flow (which would need a loopback redirect URI, and its origin is not one).
  grantTypes: [GRANT_TOKEN_EXCHANGE],
};
const ADDRESS = { line1: '1 Main Street', city: 'Lyon', postalCode: '69001', country: 'FR' };
const CART = { items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1250 }], currency: 'EUR' };

type Target = 'direct' | 'bare proxy' | 'gateway' | 'gateway+exchange';
const TARGETS: Target[] = ['direct', 'bare proxy', 'gateway', 'gateway+exchange'];
const WHAT: Record<Target, string> = {
  direct: 'orders itself, GET /orders',
  'bare proxy': 'Fastify + @fastify/http-proxy, no checks',
  gateway: 'gateway, route forwarded unchanged',
  'gateway+exchange': 'gateway default: cached token exchange',
};

/** One round of load, as the worker is asked for it. */
interface LoadJob {
  origin: string;
  path: string;
  token: string;
  concurrency: number;
  durationMs: number;
}

/** What one round measured; `latenciesMs` is every request's response time. */
interface LoadResult {
  ok: number;
  errors: number;
  firstError: string | undefined;
  elapsedMs: number;
  latenciesMs: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// The load client (worker thread). undici's Pool keeps `concurrency` connections open across
// rounds (connecting is not measured); each connection runs one request at a time, back to back.
// ---------------------------------------------------------------------------------------------

const pools = new Map<string, Pool>();

async function runLoad(job: LoadJob): Promise<LoadResult> {
  let pool = pools.get(job.origin);
  if (!pool) {
    pool = new Pool(job.origin, { connections: job.concurrency, pipelining: 1 });
    pools.set(job.origin, pool);
  }
  const p = pool;
  const headers = { authorization: `Bearer ${job.token}` };
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + job.durationMs;
  const loop = async (): Promise<void> => {
    for (let sent = performance.now(); sent < deadline; sent = performance.now()) {
      try {
        const res = await p.request({ path: job.path, method: 'GET', headers });
        await res.body.dump();
        latencies.push(performance.now() - sent);
        if (res.statusCode === 200) ok++;
        else {
          errors++;
          firstError ??= `HTTP ${res.statusCode}`;
        }
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  return { ok, errors, firstError, elapsedMs: performance.now() - started, latenciesMs: Float64Array.from(latencies) };
}

function serveLoad(): void {
  parentPort!.on('message', (job: LoadJob) => {
    void runLoad(job).then((result) => parentPort!.postMessage(result, [result.latenciesMs.buffer as ArrayBuffer]));
  });
}

// ---------------------------------------------------------------------------------------------
// The servers and the measurement (main thread).
// ---------------------------------------------------------------------------------------------

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Sum of `http_requests_total` for one method and route pattern in a service's /metrics (its management URL). */
async function requestsServed(serviceUrl: string, method: string, route: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    if (!line.includes(`method="${method}"`) || !line.includes(`route="${route}"`)) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const percentile = (sorted: ArrayLike<number>, p: number): number =>
  sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
const median = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const pct = (ratio: number): string => `${ratio >= 0 ? '+' : '−'}${Math.abs(ratio * 100).toFixed(1)} %`;
const ms = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)} ms`;

async function main(): Promise<void> {
  // Imported here, not at the top: this file is also the load worker, which must not load Nest and the apps.
  const { startApp } = await import('@authmesh/platform');
  const { authApp } = await import('../apps/auth/src/auth.app.js');
  const { ordersApp } = await import('../apps/orders/src/orders.app.js');
  const { profilesApp } = await import('../apps/profiles/src/profiles.app.js');
  const { gatewayApp } = await import('../apps/gateway/src/gateway.app.js');
  const { default: Fastify } = await import('fastify');
  const { default: httpProxy } = await import('@fastify/http-proxy');
  const { default: pg } = await import('pg');

  const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const base = new URL(server);
  const dbPrefix = `authmesh_gwbench_${randomBytes(4).toString('hex')}`;
  base.pathname = `/${dbPrefix}`;
  const common = {
    DATABASE_URL: base.toString(),
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'silent',
    PORT: '0',
    MANAGEMENT_PORT: '0',
    HOST: '127.0.0.1',
  };
  const running: RunningApp[] = [];
  const bare = Fastify({ logger: false });
  let worker: Worker | undefined;
  let failed = false;

  try {
    out(
      `bench:gateway — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(2)}`,
    );
    out(`Postgres ${base.host}, Redis ${new URL(redisUrl).host}`);
    const start = async <T extends RunningApp>(p: Promise<T>): Promise<T> => {
      const app = await p;
      running.push(app);
      return app;
    };
    const auth = await start(
      startApp(
        authApp,
        {
          ...common,
          AUTH_KEK: randomBytes(32).toString('base64'),
          AUTH_ISSUER: ISSUER,
          AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, GATEWAY_CLIENT]),
          AUTH_RATE_LIMIT_PER_MIN: '1000000',
          AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
          AUTH_ACCESS_TOKEN_TTL_S: '3600',
        },
        { quiet: true },
      ),
    );
    const verifierEnv = { AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` };
    const profiles = await start(startApp(profilesApp, { ...common, ...verifierEnv }, { quiet: true }));
    const orders = await start(
      startApp(
        ordersApp,
        {
          ...common,
          ...verifierEnv,
          AUTH_TOKEN_URL: `${auth.url}/oauth/token`,
          ORDERS_CLIENT_SECRET: ORDERS_CLIENT.secret,
          PROFILES_URL: profiles.url,
        },
        { quiet: true },
      ),
    );
    const gatewayEnv = {
      ...common,
      ...verifierEnv,
      AUTH_URL: auth.url,
      ORDERS_URL: orders.url,
      PROFILES_URL: profiles.url,
      GATEWAY_PUBLIC_ORIGIN: 'http://gateway.bench',
      GATEWAY_REDIS_KEY_PREFIX: `bench:gw-${randomBytes(4).toString('hex')}:`,
      GATEWAY_CLIENT_SECRET: GATEWAY_CLIENT.secret,
    };
    // The opt-out: orders gets the user's own token. Exchange is what the gateway does by default.
    const gateway = await start(startApp(gatewayApp, { ...gatewayEnv, GATEWAY_FORWARD_UNCHANGED_ROUTES: 'orders' }, { quiet: true }));
    const exchanging = await start(startApp(gatewayApp, gatewayEnv, { quiet: true }));
    // The peer: the same proxy library with its defaults, the /api prefix rewrite and nothing else.
    await bare.register(httpProxy, { upstream: orders.url, prefix: '/api/orders', rewritePrefix: '/orders' });
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

    // One user with a profile and two orders (so the answer is a real page read from Postgres).
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const registered = await json(`${auth.url}/auth/register`, { body: { email, password: PASSWORD } });
    if (registered.status !== 202) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
    const login = await json<{ access_token: string }>(`${auth.url}/auth/login`, { body: { email, password: PASSWORD } });
    if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.body)}`);
    const token = login.body.access_token;
    const profile = await json(`${profiles.url}/profiles/me`, {
      method: 'PUT',
      token,
      body: { displayName: 'Bench', shippingAddress: ADDRESS },
    });
    if (profile.status !== 200) throw new Error(`PUT /profiles/me answered ${profile.status}: ${JSON.stringify(profile.body)}`);
    for (let i = 0; i < 2; i++) {
      const created = await json(`${orders.url}/orders`, { token, body: CART });
      if (created.status !== 201) throw new Error(`POST /orders answered ${created.status}: ${JSON.stringify(created.body)}`);
    }

    const targets: Record<Target, { origin: string; path: string }> = {
      direct: { origin: orders.url, path: '/orders' },
      'bare proxy': { origin: bareUrl, path: '/api/orders' },
      gateway: { origin: gateway.url, path: '/api/orders' },
      'gateway+exchange': { origin: exchanging.url, path: '/api/orders' },
    };

    worker = new Worker(new URL(import.meta.url));
    const w = worker;
    const load = (target: Target): Promise<LoadResult> =>
      new Promise((resolve, reject) => {
        const onError = (e: Error): void => reject(e);
        w.once('error', onError);
        w.once('message', (result: LoadResult) => {
          w.off('error', onError);
          resolve(result);
        });
        const job: LoadJob = { ...targets[target], token, concurrency: CONCURRENCY, durationMs: ROUND_MS };
        w.postMessage(job);
      });

    // The exchange counter starts before the exchanging gateway sees its first request: the first
    // warm-up round opens with CONCURRENCY simultaneous requests for one token (one exchange, shared).
    const exchangesAtStart = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
    let exchangesAfterWarmUp = 0;
    const rps: Record<Target, number[]> = { direct: [], 'bare proxy': [], gateway: [], 'gateway+exchange': [] };
    const latencies: Record<Target, Float64Array[]> = { direct: [], 'bare proxy': [], gateway: [], 'gateway+exchange': [] };
    let measuredExchangeRequests = 0;
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      if (round === 0) {
        exchangesAfterWarmUp = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');
        // Correctness before measuring: every target answers the same page (the proxies are transparent).
        const expected = await json<{ items: { id: string }[] }>(`${orders.url}/orders`, { token });
        for (const t of TARGETS) {
          const res = await json<{ items: { id: string }[] }>(`${targets[t].origin}${targets[t].path}`, { token });
          const ids = (b: { items?: { id: string }[] } | undefined): string => JSON.stringify(b?.items?.map((i) => i.id));
          if (res.status !== 200 || ids(res.body) !== ids(expected.body) || expected.body.items.length !== 2) {
            throw new Error(`${t} answered ${res.status} ${JSON.stringify(res.body)}, expected the two orders`);
          }
        }
      }
      // Rotate the order so no target always runs first (or right after the heaviest one).
      const order = TARGETS.map((_, i) => TARGETS[(i + round + WARMUP_ROUNDS) % TARGETS.length]!);
      for (const t of order) {
        const result = await load(t);
        if (result.errors > 0)
          throw new Error(`${t}: ${result.errors} of ${result.ok + result.errors} requests failed (${result.firstError})`);
        if (round < 0) continue; // warm-up: JIT, connection pools, verified-token caches
        rps[t].push((result.ok / result.elapsedMs) * 1000);
        latencies[t].push(result.latenciesMs);
        if (t === 'gateway+exchange') measuredExchangeRequests += result.ok;
      }
    }
    const exchangesAtEnd = await requestsServed(auth.managementUrl, 'POST', '/oauth/token');

    const pooled = (t: Target): Float64Array => {
      const all = new Float64Array(latencies[t].reduce((n, a) => n + a.length, 0));
      let at = 0;
      for (const a of latencies[t]) {
        all.set(a, at);
        at += a.length;
      }
      return all.sort();
    };
    const sorted = Object.fromEntries(TARGETS.map((t) => [t, pooled(t)])) as Record<Target, Float64Array>;
    const p50 = (t: Target): number => percentile(sorted[t], 50);
    const p99 = (t: Target): number => percentile(sorted[t], 99);
    const ratios = (a: Target, b: Target): number[] => rps[a].map((x, i) => x / rps[b][i]!);
    const ratio = (a: Target, b: Target): number => median(ratios(a, b));
    // Server time per request, from each round's throughput (the servers' thread is saturated).
    const addedUs = (a: Target, b: Target): number => median(rps[a].map((x, i) => 1e6 / x - 1e6 / rps[b][i]!));

    out();
    out(
      `GET /orders (2 orders) with one user access token, ${CONCURRENCY} keep-alive connections (undici Pool), ${ROUNDS} rotating rounds × ${ROUND_MS} ms per target after ${WARMUP_ROUNDS} warm-up rounds`,
    );
    out(
      `client: a worker thread of this process; servers: its main thread; Postgres, Redis: own processes — all sharing ${cpus().length} cores, so read the comparisons, not the absolute numbers`,
    );
    out();
    out(
      '| target           | what                                     | median req/s | p50 ms | p99 ms | throughput vs direct | vs bare proxy |',
    );
    out(
      '| ---------------- | ---------------------------------------- | -----------: | -----: | -----: | -------------------: | ------------: |',
    );
    for (const t of TARGETS) {
      const vsDirect = t === 'direct' ? '—' : pct(ratio(t, 'direct') - 1);
      const vsBare = t === 'direct' || t === 'bare proxy' ? '—' : pct(ratio(t, 'bare proxy') - 1);
      out(
        `| ${t.padEnd(16)} | ${WHAT[t].padEnd(40)} | ${Math.round(median(rps[t])).toString().padStart(12)} | ${p50(t).toFixed(2).padStart(6)} | ${p99(t).toFixed(2).padStart(6)} | ${vsDirect.padStart(20)} | ${vsBare.padStart(13)} |`,
      );
    }
    out();
    const spread = (a: Target, b: Target): string => {
      const r = ratios(a, b).sort((x, y) => x - y);
      return `rounds p25–p75 ${pct(percentile(r, 25) - 1)} to ${pct(percentile(r, 75) - 1)}`;
    };
    out(
      `gateway overhead over the bare proxy (edge verification + revocation check + header rewrite + platform hooks): throughput ${pct(ratio('gateway', 'bare proxy') - 1)} (${spread('gateway', 'bare proxy')}), p50 ${ms(p50('gateway') - p50('bare proxy'))}, p99 ${ms(p99('gateway') - p99('bare proxy'))}, ≈${addedUs('gateway', 'bare proxy').toFixed(0)} µs of server time per request`,
    );
    out(
      `gateway overhead over direct (the whole extra hop): throughput ${pct(ratio('gateway', 'direct') - 1)} (${spread('gateway', 'direct')}), p50 ${ms(p50('gateway') - p50('direct'))}, p99 ${ms(p99('gateway') - p99('direct'))}, ≈${addedUs('gateway', 'direct').toFixed(0)} µs per request`,
    );
    out(
      `bare proxy over direct (the hop alone): throughput ${pct(ratio('bare proxy', 'direct') - 1)}, ≈${addedUs('bare proxy', 'direct').toFixed(0)} µs per request`,
    );
    out(
      `cached token exchange (the default) over forwarding unchanged: throughput ${pct(ratio('gateway+exchange', 'gateway') - 1)} (${spread('gateway+exchange', 'gateway')}), p50 ${ms(p50('gateway+exchange') - p50('gateway'))}, p99 ${ms(p99('gateway+exchange') - p99('gateway'))}, ≈${addedUs('gateway+exchange', 'gateway').toFixed(0)} µs per request`,
    );
    const warmUpExchanges = exchangesAfterWarmUp - exchangesAtStart;
    const measuredExchanges = exchangesAtEnd - exchangesAfterWarmUp;
    out(
      `exchange cache at load: auth served ${warmUpExchanges} POST /oauth/token during warm-up (first request: ${CONCURRENCY} concurrent for one token) and ${measuredExchanges} during the ${measuredExchangeRequests} measured gateway+exchange requests`,
    );
    if (warmUpExchanges !== 1 || measuredExchanges !== 0) {
      out('exchange cache: FAILED (expected exactly one exchange for the whole run)');
      failed = true;
    } else {
      out('exchange cache: OK (one exchange for the whole run)');
    }
    const vsBare = ratio('gateway', 'bare proxy');
    writeBenchReport({
      name: 'gateway',
      title: 'gateway — what the gateway costs per request',
      tables: [
        {
          title: `GET /orders (2 orders), one user token, ${CONCURRENCY} keep-alive connections, ${ROUNDS} rotating rounds × ${ROUND_MS} ms per target`,
          columns: ['target', 'what', 'req/s', 'p50 ms', 'p99 ms', 'vs direct', 'vs bare proxy'],
          rows: TARGETS.map((t) => [
            t,
            WHAT[t],
            measured(rps[t]),
            p50(t),
            p99(t),
            t === 'direct' ? '—' : pct(ratio(t, 'direct') - 1),
            t === 'direct' || t === 'bare proxy' ? '—' : pct(ratio(t, 'bare proxy') - 1),
          ]),
          notes: [
            'Servers on one thread of one process, the load client in a worker thread: read the comparisons, not the absolute numbers.',
          ],
        },
      ],
      targets: [
        {
          name: 'gateway: bearer mode within 15 % of a bare @fastify/http-proxy',
          met: vsBare >= 0.85,
          detail: `${pct(vsBare - 1)} (${spread('gateway', 'bare proxy')})`,
        },
        {
          name: 'gateway: one token exchange for the whole run (cache)',
          met: warmUpExchanges === 1 && measuredExchanges === 0,
          detail: `${warmUpExchanges} during warm-up, ${measuredExchanges} measured`,
        },
      ],
    });
  } catch (e) {
    process.stderr.write(`bench:gateway failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    failed = true;
  } finally {
    await worker?.terminate();
    await bare.close().catch(() => undefined);
    for (const app of running.reverse()) await app.close().catch(() => undefined);
    // Every app made its own database next to the shared URL's name (appDatabaseUrl): drop them all.
    const admin = new URL(server);
    admin.pathname = '/postgres';
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      `${dbPrefix}_`,
    ]);
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname.replace(/"/g, '""')}" WITH (FORCE)`).catch(() => undefined);
    }
    await client.end();
  }
  process.exit(failed ? 1 : 0);
}

if (isMainThread) void main();
else serveLoad();
