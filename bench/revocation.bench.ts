import { GRANT_REFRESH_TOKEN } from '@authmesh/contracts';
/**
 * `npm run bench:revocation`: how fast a revocation reaches a verifier, and what checking
 * revocation on every request costs, with the real auth service, real Postgres and real Redis.
 * Exits 1 if a target is missed:
 *   propagation p99 <= 100 ms   (revoke call's response -> first 401 at a verifier, >= 200 revocations)
 *   checking costs  <= 5 %      (requests/s of GET /whoami with the mirror vs with no revocation check)
 *
 * Four verifying services run side by side in this process, built exactly like orders (platform +
 * token verifier + /whoami) and differing only in the revocation check:
 *   off, off-again  no revocation check: two identical baselines (their difference is the noise floor)
 *   mirror          what orders and profiles run: a local mirror fed by the Redis revocation stream (XREAD BLOCK) (sync, no I/O per request)
 *   lookup          the alternative: EXISTS + GET in Redis per request, ioredis enableAutoPipelining
 *
 * Propagation: a fresh user token per revocation (refresh grant), verified once at each verifier,
 * then revoked with POST /admin/revocations { jti, exp } (an auth:admin token; the store directly if
 * auth has no such endpoint); from the moment that response is read, the mirror and lookup
 * verifiers are polled back to back until each answers 401, and the mirror object itself is
 * watched on every event-loop turn (the delivery time without an HTTP round trip).
 * Throughput: a worker thread (its own core) drives one verifier at a time with `CONCURRENCY`
 * keep-alive connections for `ROUND_MS`; the variants take turns, in a rotating order, over
 * `ROUNDS` rounds after `WARMUP_ROUNDS` discarded ones. Each round's baseline is the mean of the two
 * no-check instances and each cost is the median of the per-round ratios: short, tightly paired
 * slices cancel the load of other processes on a shared machine (whole-round throughput here
 * swings by +-20 %). The mirror holds `PRELOAD` live revocations during these rounds.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import { type DynamicModule, Module } from '@nestjs/common';
import {
  type AppDefinition,
  type BaseConfig,
  EnvReader,
  PlatformModule,
  RedisConnection,
  type RunningApp,
  appDatabaseUrl,
  readBaseConfig,
  startApp,
} from '@authmesh/platform';
import {
  type RevocationConfig,
  RevocationMirror,
  RevocationModule,
  createRevocationStore,
  readRevocationConfig,
} from '@authmesh/revocation';
import {
  type RevocationCheckerProvider,
  TokenVerifierModule,
  type VerifierConfig,
  WhoamiController,
  readVerifierConfig,
} from '@authmesh/token-verifier';
import pg from 'pg';
import { authApp } from '../apps/auth/src/auth.app.js';
import { LookupRevocationChecker } from './support/lookup-revocation-checker.js';
import type { LoadResult } from './support/load-worker.js';
import { json } from './support/json-request.js';
import { type BenchTable, measured, writeBenchReport } from './support/bench-report.js';

const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 250);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);
const WARMUP_ROUNDS = 5;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PRELOAD = Number(process.env.BENCH_PRELOAD ?? 10_000);
const TARGET_P99_MS = 100;
// Auth listens on a port chosen at start, so the issuer is a fixed name and verifiers get the JWKS URI.
const ISSUER = 'http://auth.bench';
const TARGET_COST = 0.05;

type Variant = 'off' | 'off-again' | 'mirror' | 'lookup';
// `off-again` is a second, identical baseline (an A/A control): its "cost" is the noise floor.
const VARIANTS: Variant[] = ['off', 'off-again', 'mirror', 'lookup'];

interface VerifierAppConfig extends BaseConfig {
  verifier: VerifierConfig;
  revocation: RevocationConfig;
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A service verifying tokens like orders does, with the given revocation check. */
function verifierApp(variant: Variant): AppDefinition<VerifierAppConfig> {
  @Module({})
  class BenchVerifierModule {
    static forRoot(config: VerifierAppConfig): DynamicModule {
      const revocation: Partial<{ imports: DynamicModule['imports']; revocation: RevocationCheckerProvider }> =
        variant === 'mirror'
          ? RevocationModule.forVerifier({ ...config.revocation, clockToleranceSeconds: config.verifier.clockToleranceSeconds })
          : variant === 'lookup'
            ? {
                revocation: {
                  useFactory: (redis: RedisConnection) => {
                    const client = redis.duplicate('lookup', { enableAutoPipelining: true })!;
                    client.connect().catch(() => undefined); // as before: connect now, not on the first check
                    return new LookupRevocationChecker(client);
                  },
                  inject: [RedisConnection],
                },
              }
            : {};
      return {
        module: BenchVerifierModule,
        imports: [
          PlatformModule.forRoot({ config, database: { entities: [], migrations: [] } }),
          TokenVerifierModule.forRoot({ ...config.verifier, ...revocation }),
        ],
        controllers: [WhoamiController],
      };
    }
  }
  return {
    name: 'orders',
    loadConfig: (env) => {
      const reader = new EnvReader(env);
      const base = readBaseConfig('orders', reader, env);
      const verifier = readVerifierConfig(reader, 'orders');
      const revocation = readRevocationConfig(reader);
      const parts = reader.finish('orders', { base, verifier, revocation });
      return { ...parts.base, verifier: parts.verifier, revocation: parts.revocation };
    },
    rootModule: (config) => BenchVerifierModule.forRoot(config),
  };
}

function claimsOf(token: string): { jti: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string; exp: number };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** GET with the bearer token over a keep-alive connection; resolves with the status. */
function statusOf(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` with `token` back to back until 401; ms from `since` to that answer. */
async function untilRevoked(url: string, token: string, since: number, timeoutMs = 5000): Promise<number> {
  for (;;) {
    const status = await statusOf(url, token);
    const at = performance.now();
    if (status === 401) return at - since;
    if (status !== 200) throw new Error(`verifier answered ${status} while waiting for the revocation`);
    if (at - since > timeoutMs) throw new Error(`revocation not seen within ${timeoutMs} ms`);
  }
}

/** Checks the verifier's own mirror (same process) on every turn of the event loop until it holds `jti`. */
async function untilMirrored(mirror: RevocationMirror, jti: string, since: number, timeoutMs = 5000): Promise<number> {
  const claims = { jti, sub: '', iat: 0 };
  for (;;) {
    const at = performance.now();
    if (mirror.revocationOf(claims) === 'token') return at - since;
    if (at - since > timeoutMs) throw new Error(`mirror did not receive the revocation within ${timeoutMs} ms`);
    await new Promise((r) => setImmediate(r));
  }
}

const stats = (xs: number[]): { p50: number; p99: number; max: number } => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
};

async function main(): Promise<void> {
  const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const base = new URL(server);
  base.pathname = `/authmesh_bench_${randomBytes(4).toString('hex')}`;
  const adminPassword = randomBytes(18).toString('base64url');
  // MANAGEMENT_PORT 0 as well: the default management ports (3100-3103) collide with any suite running on this machine.
  const common = { DATABASE_URL: base.toString(), REDIS_URL: redisUrl, LOG_LEVEL: 'silent', PORT: '0', MANAGEMENT_PORT: '0' };
  const running: RunningApp[] = [];
  const databases = new Set<string>();
  const redis = new RedisConnection({ kind: 'redis', url: redisUrl }, 'bench');
  let worker: Worker | undefined;
  let failed: boolean;

  try {
    out(`bench:revocation — ${new Date().toISOString()}, Node ${process.version}, Postgres ${base.host}, Redis ${new URL(redisUrl).host}`);
    const auth = await startApp(
      authApp,
      {
        ...common,
        AUTH_KEK: randomBytes(32).toString('base64'),
        AUTH_ISSUER: ISSUER,
        AUTH_SEED_ADMIN_EMAIL: 'bench-admin@example.com',
        AUTH_SEED_ADMIN_PASSWORD: adminPassword,
        AUTH_RATE_LIMIT_PER_MIN: '1000000',
        AUTH_ACCESS_TOKEN_TTL_S: '3600',
      },
      { quiet: true },
    );
    running.push(auth);
    databases.add(appDatabaseUrl(base.toString(), 'auth'));
    const verifiers = {} as Record<Variant, RunningApp>;
    for (const variant of VARIANTS) {
      const app = await startApp(
        verifierApp(variant),
        { ...common, AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` },
        { quiet: true },
      );
      running.push(app);
      verifiers[variant] = app;
    }
    databases.add(appDatabaseUrl(base.toString(), 'orders'));
    await redis.connect();

    // Tokens: an admin token for the revocation endpoint, a user whose refresh chain mints the rest.
    const admin = await json<{ access_token: string }>(`${auth.url}/auth/login`, {
      body: { email: 'bench-admin@example.com', password: adminPassword },
    });
    if (admin.status !== 200) throw new Error(`admin login answered ${admin.status}`);
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'a long bench passphrase';
    await json(`${auth.url}/auth/register`, { body: { email, password } });
    let session = (await json<{ access_token: string; refresh_token: string }>(`${auth.url}/auth/login`, { body: { email, password } }))
      .body;
    const tokens: string[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const next = await json<{ access_token: string; refresh_token: string }>(`${auth.url}/oauth/token`, {
        body: { grant_type: GRANT_REFRESH_TOKEN, refresh_token: session.refresh_token },
      });
      if (next.status !== 200) throw new Error(`refresh grant answered ${next.status}: ${JSON.stringify(next.body)}`);
      session = next.body;
      tokens.push(session.access_token);
    }

    // How a revocation is written: auth's admin endpoint when it is there, else the store directly.
    const probe = claimsOf(tokens[0]!);
    const viaEndpoint = await json(`${auth.url}/admin/revocations`, {
      body: { jti: `probe-${randomUUID()}`, exp: probe.exp },
      token: admin.body.access_token,
    });
    const store = createRevocationStore(redis, { clockToleranceSeconds: 30, maxTokenLifetimeSeconds: 3600 });
    const revoke =
      viaEndpoint.status === 200
        ? async (token: string) => {
            const { jti, exp } = claimsOf(token);
            const res = await json(`${auth.url}/admin/revocations`, { body: { jti, exp }, token: admin.body.access_token });
            if (res.status !== 200) throw new Error(`POST /admin/revocations answered ${res.status}`);
          }
        : async (token: string) => {
            const { jti, exp } = claimsOf(token);
            await store.revokeToken(jti, new Date(exp * 1000));
          };
    const how =
      viaEndpoint.status === 200
        ? 'POST /admin/revocations (auth → Postgres outbox → Redis)'
        : `store.revokeToken (admin endpoint answered ${viaEndpoint.status})`;

    // (1) Propagation.
    const mirror = verifiers.mirror.app.get(RevocationMirror);
    const rtt: Record<'mirror' | 'lookup', number[]> = { mirror: [], lookup: [] };
    const toMirror: number[] = [];
    const latencies: Record<'mirror' | 'lookup', number[]> = { mirror: [], lookup: [] };
    for (const token of tokens) {
      for (const v of ['mirror', 'lookup'] as const) {
        const res = await json(`${verifiers[v].url}/whoami`, { token });
        if (res.status !== 200) throw new Error(`${v} refused a fresh token: ${res.status} ${JSON.stringify(res.body)}`);
        const again = performance.now();
        if ((await statusOf(`${verifiers[v].url}/whoami`, token)) !== 200) throw new Error(`${v} refused a fresh token`);
        rtt[v].push(performance.now() - again);
      }
      await revoke(token);
      const since = performance.now();
      const [m, l, applied] = await Promise.all([
        untilRevoked(`${verifiers.mirror.url}/whoami`, token, since),
        untilRevoked(`${verifiers.lookup.url}/whoami`, token, since),
        untilMirrored(mirror, claimsOf(token).jti, since),
      ]);
      latencies.mirror.push(m);
      latencies.lookup.push(l);
      toMirror.push(applied);
    }
    out();
    out(`(1) propagation: from reading the revoke call's response, ${REVOCATIONS} revocations via ${how}`);
    out('| measured                                                  | p50 ms | p99 ms | max ms |');
    out('| --------------------------------------------------------- | -----: | -----: | -----: |');
    const propagationRows: (string | number)[][] = [];
    const row = (label: string, xs: number[]) => {
      const x = stats(xs);
      propagationRows.push([label, x.p50, x.p99, x.max]);
      out(`| ${label.padEnd(57)} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} | ${x.max.toFixed(2)} |`);
    };
    row('mirror: first 401 at the verifier (target p99 <= 100)', latencies.mirror);
    row("mirror: revocation in the verifier's mirror (in process)", toMirror);
    row('lookup: first 401 at the verifier', latencies.lookup);
    row('one GET /whoami round trip, unloaded (200), mirror', rtt.mirror);
    row('one GET /whoami round trip, unloaded (200), lookup', rtt.lookup);
    const mirrorP99 = stats(latencies.mirror).p99;

    // (2) Throughput, with a realistic number of live revocations in the mirror.
    for (let i = 0; i < PRELOAD; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, PRELOAD - i) }, () => store.revokeToken(randomUUID(), new Date(Date.now() + 300_000))),
      );
    }
    // A token that was not revoked above (every token of the refresh chain was).
    const fresh = await json<{ access_token: string }>(`${auth.url}/oauth/token`, {
      body: { grant_type: GRANT_REFRESH_TOKEN, refresh_token: session.refresh_token },
    });
    if (fresh.status !== 200) throw new Error(`refresh grant answered ${fresh.status}`);
    const token = fresh.body.access_token;
    worker = new Worker(new URL('./support/load-worker.js', import.meta.url));
    const w = worker;
    const load = (url: string): Promise<LoadResult> =>
      new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        w.once('error', onError);
        w.once('message', (result: LoadResult) => {
          w.off('error', onError);
          resolve(result);
        });
        w.postMessage({ url, token, concurrency: CONCURRENCY, durationMs: ROUND_MS });
      });
    const rps: Record<Variant, number[]> = { off: [], 'off-again': [], mirror: [], lookup: [] };
    const p50: Record<Variant, number[]> = { off: [], 'off-again': [], mirror: [], lookup: [] };
    const p99: Record<Variant, number[]> = { off: [], 'off-again': [], mirror: [], lookup: [] };
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      // Rotate the order so no variant always runs first (or right after the heaviest one).
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round + WARMUP_ROUNDS) % VARIANTS.length]!);
      for (const v of order) {
        const result = await load(`${verifiers[v].url}/whoami`);
        if (result.errors > 0) throw new Error(`${v}: ${result.errors} requests failed`);
        if (round < 0) continue; // the first rounds warm up (JIT)
        rps[v].push((result.ok / result.elapsedMs) * 1000);
        p50[v].push(result.p50Ms);
        p99[v].push(result.p99Ms);
      }
    }
    // Each round's baseline is the mean of the two identical no-check instances.
    const baseline = rps.off.map((x, i) => (x + rps['off-again'][i]!) / 2);
    const ratio = (v: Variant) => median(rps[v].map((x, i) => x / baseline[i]!));
    out();
    out(
      `(2) GET /whoami (same token, verified-token cache warm), ${CONCURRENCY} connections, ${ROUNDS} rounds x ${ROUND_MS} ms, ${PRELOAD} live revocations held`,
    );
    out('| revocation check | median req/s | vs no check (median of paired rounds) | cost | latency p50 / p99 ms |');
    out('| ---------------- | -----------: | ------------------------------------: | ---: | -------------------: |');
    for (const v of VARIANTS) {
      const r = ratio(v);
      const latency = `${median(p50[v]).toFixed(2)} / ${median(p99[v]).toFixed(2)}`;
      out(`| ${v.padEnd(16)} | ${Math.round(median(rps[v]))} | ${(r * 100).toFixed(1)} % | ${((1 - r) * 100).toFixed(1)} % | ${latency} |`);
    }
    const mirrorCost = 1 - ratio('mirror');

    out();
    const p99ok = mirrorP99 <= TARGET_P99_MS;
    const costOk = mirrorCost <= TARGET_COST;
    out(`target: propagation p99 <= ${TARGET_P99_MS} ms (mirror): ${mirrorP99.toFixed(2)} ms — ${p99ok ? 'OK' : 'FAILED'}`);
    out(
      `target: checking costs <= ${TARGET_COST * 100} % of throughput (mirror): ${(mirrorCost * 100).toFixed(1)} % — ${costOk ? 'OK' : 'FAILED'}`,
    );
    failed = !p99ok || !costOk;
    const tables: BenchTable[] = [
      {
        title: `Propagation: from reading the revoke call's response, ${REVOCATIONS} revocations via ${how}`,
        columns: ['measured', 'p50 ms', 'p99 ms', 'max ms'],
        rows: propagationRows,
      },
      {
        title: `GET /whoami by revocation check, ${CONCURRENCY} connections, ${ROUNDS} rounds × ${ROUND_MS} ms, ${PRELOAD} live revocations held`,
        columns: ['revocation check', 'req/s', 'vs no check (paired rounds)', 'latency p50 / p99 ms'],
        rows: VARIANTS.map((v) => [
          v,
          measured(rps[v]),
          `${(ratio(v) * 100).toFixed(1)} %`,
          `${median(p50[v]).toFixed(2)} / ${median(p99[v]).toFixed(2)}`,
        ]),
        notes: ['off and off-again are identical baselines: their difference is the noise floor.'],
      },
    ];
    writeBenchReport({
      name: 'revocation',
      title: 'revocation — propagation and the cost of checking',
      tables,
      targets: [
        { name: `revocation: propagation p99 ≤ ${TARGET_P99_MS} ms (mirror)`, met: p99ok, detail: `${mirrorP99.toFixed(2)} ms` },
        {
          name: `revocation: checking costs ≤ ${TARGET_COST * 100} % of throughput (mirror)`,
          met: costOk,
          detail: `${(mirrorCost * 100).toFixed(1)} %`,
        },
      ],
    });
  } catch (e) {
    process.stderr.write(`bench:revocation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    failed = true;
  } finally {
    await worker?.terminate();
    agent.destroy();
    for (const app of running.reverse()) await app.close().catch(() => undefined);
    await redis.close();
    for (const url of databases) {
      const admin = new URL(url);
      const name = decodeURIComponent(admin.pathname.slice(1));
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`).catch(() => undefined);
      await client.end();
    }
  }
  process.exit(failed ? 1 : 0);
}

void main();
