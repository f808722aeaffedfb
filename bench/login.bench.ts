/**
 * `npm run bench:login`: password logins per second over HTTP (`POST /auth/login`, the right
 * password, argon2id at the OWASP parameters auth runs: 19 MiB, t=2, p=1), per core, beside
 * Keycloak's published sizing figure as the reference: "For each 15 password-based user logins per
 * second, allocate 1 vCPU to the cluster (tested with up to 300 per second)"
 * (https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing).
 * Target (read off the table): ≥ 2 × that per core, i.e. ≥ 30 logins/s per core. `POST /auth/login`
 * is the JSON password login of first-party, non-browser clients (tests, scripts); browsers type
 * the password into auth's hosted login page (issue 18), which runs the same check and budgets.
 *
 * auth runs from dist in its own process (its own database on the real Postgres, the real Redis),
 * as it runs in production: AUTH_HASH_CONCURRENCY at its default. BENCH_ACCOUNTS accounts log in in
 * turn, so no per-account budget applies; the per-address budgets are raised by configuration
 * (AUTH_RATE_LIMIT_PER_MIN, AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS), never by a code path. Load comes
 * from autocannon in its own process. "per core" divides by the machine's cores, which the load
 * process shares: on a 2-core machine the figure is conservative. The bare row is @node-rs/argon2's
 * verify at the same parameters, as many at once as auth runs, in this process once auth stopped:
 * what the cores can hash, so "vs bare" is the share the HTTP request, session and token keep.
 */
import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { type BenchTarget, type Cell, formatNumber, measured, writeBenchReport } from './support/bench-report.js';
import { type AuthProcess, cleanUpOnSigterm, startAuthProcess } from './support/auth-process.js';
import { type HttpLoadResult, runHttpLoad } from './support/http-load.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 4);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 64);
/** auth's default (AUTH_HASH_CONCURRENCY); the bench does not change it. */
const HASH_CONCURRENCY = 2;
const KEYCLOAK_PER_VCPU = 15;
/** What auth passes to @node-rs/argon2 (apps/auth/src/crypto/secrets.ts). */
const OWASP = { algorithm: 2, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** argon2id verifications/s with `parallel` in flight for `ms`. */
async function bareVerifyRate(parallel: number, ms: number): Promise<number> {
  const password = randomBytes(16).toString('hex');
  const stored = await hash(password, OWASP);
  let n = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < deadline) {
        if (!(await verify(stored, password))) throw new Error('argon2 verify refused the right password');
        n++;
      }
    }),
  );
  return (n * 1000) / (performance.now() - started);
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  out(`bench:login — ${new Date().toISOString()}, ${cores} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}`);
  let auth: AuthProcess | undefined;
  let failed: boolean;
  cleanUpOnSigterm(async () => {
    await auth?.stop();
  });
  try {
    auth = await startAuthProcess({
      AUTH_RATE_LIMIT_PER_MIN: '1000000',
      AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
      AUTH_ISSUER: 'http://auth.bench',
    });
    const url = auth.url;
    const run = randomBytes(4).toString('hex');
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
      email: `login-bench-${run}-${i}@example.com`,
      password: `${randomBytes(12).toString('base64url')} bench passphrase`,
    }));
    // Registration hashes too: a few at a time, within auth's hashing queue.
    for (let i = 0; i < accounts.length; i += 4) {
      await Promise.all(
        accounts.slice(i, i + 4).map(async (a) => {
          const res = await fetch(`${url}/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(a),
          });
          if (res.status !== 202) throw new Error(`register answered ${res.status}: ${await res.text()}`);
        }),
      );
    }
    const first = await fetch(`${url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(accounts[0]),
    });
    if (first.status !== 200) throw new Error(`login answered ${first.status}: ${await first.text()}`);
    out(
      `${ACCOUNTS} accounts registered; ${CONNECTIONS} connections (autocannon, own process), ${ROUNDS} rounds × ${ROUND_S} s after ${WARMUP_ROUNDS} warm-up`,
    );

    const bodies = accounts.map((a) => JSON.stringify(a));
    const rounds: HttpLoadResult[] = [];
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      const r = await runHttpLoad({
        url: `${url}/auth/login`,
        connections: CONNECTIONS,
        durationS: ROUND_S,
        headers: { 'content-type': 'application/json' },
        bodies,
      });
      if (r.non2xx > 0 || r.errors > 0 || r.ok === 0)
        throw new Error(`login: ${r.non2xx} non-2xx (${JSON.stringify(r.statuses)}) and ${r.errors} errors`);
      out(`  ${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${formatNumber(r.okPerSecond)} logins/s, p99 ${r.p99Ms} ms`);
      if (round >= 0) rounds.push(r);
    }
    await auth.stop();
    auth = undefined;
    const bare: number[] = [];
    for (let i = 0; i < ROUNDS; i++) bare.push(await bareVerifyRate(HASH_CONCURRENCY, 1000));

    const rate = measured(rounds.map((r) => r.okPerSecond));
    const perCore = measured(rounds.map((r) => r.okPerSecond / cores));
    const bareRate = measured(bare);
    const target = 2 * KEYCLOAK_PER_VCPU;
    const median = (xs: number[]): number => measured(xs).median;
    const rows: Cell[][] = [
      [
        'authmesh POST /auth/login',
        rate,
        perCore,
        median(rounds.map((r) => r.p50Ms)),
        median(rounds.map((r) => r.p99Ms)),
        `${formatNumber((rate.median / bareRate.median) * 100)} %`,
      ],
      [`bare argon2id verify (${HASH_CONCURRENCY} at once)`, bareRate, measured(bare.map((b) => b / cores)), '—', '—', '100 %'],
      ['Keycloak sizing guide (reference)', '—', KEYCLOAK_PER_VCPU, '—', '—', '—'],
    ];
    out();
    out('| | logins/s | per core | p50 ms | p99 ms | vs bare |');
    for (const r of rows)
      out(
        `| ${r.map((c) => (typeof c === 'object' ? formatNumber(c.median) : typeof c === 'number' ? formatNumber(c) : c)).join(' | ')} |`,
      );
    const targets: BenchTarget[] = [
      {
        name: `login: ≥ 2 × Keycloak's ${KEYCLOAK_PER_VCPU} logins/s per vCPU, per core`,
        met: perCore.median >= target,
        detail: `${formatNumber(perCore.median)}/s per core vs ${target}/s (${cores} cores, ${formatNumber(rate.median)}/s in all)`,
      },
    ];
    for (const t of targets) out(`${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.detail}`);
    writeBenchReport({
      name: 'login',
      title: 'login — password logins/s per core (argon2id, OWASP parameters)',
      tables: [
        {
          title: `POST /auth/login with the right password, ${ACCOUNTS} accounts in turn, ${CONNECTIONS} connections`,
          columns: ['', 'logins/s', 'per core', 'p50 ms', 'p99 ms', 'vs bare'],
          rows,
          notes: [
            `${ROUNDS} rounds × ${ROUND_S} s after ${WARMUP_ROUNDS} warm-up; argon2id 19 MiB, t=2, p=1; AUTH_HASH_CONCURRENCY ${HASH_CONCURRENCY} (default); per core = ÷ ${cores} cores, which autocannon shares.`,
            'Keycloak: "For each 15 password-based user logins per second, allocate 1 vCPU to the cluster" (keycloak.org, Concepts for sizing CPU and memory resources).',
          ],
        },
      ],
      targets,
    });
    failed = targets.some((t) => !t.met);
  } catch (e) {
    process.stderr.write(`bench:login failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    failed = true;
  } finally {
    await auth?.stop().catch(() => undefined);
  }
  process.exit(failed ? 1 : 0);
}

void main();
