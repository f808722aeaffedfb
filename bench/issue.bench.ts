/**
 * `npm run bench:issue`: client-credentials access tokens per second over HTTP, in one run on one
 * machine, for
 *   authmesh, client_secret_basic   auth from dist in its own process (its own database on the real
 *                                   Postgres, the real Redis), a seeded client with a secret
 *   authmesh, private_key_jwt       the same auth, a client registered with a public JWKS
 *                                   (AUTH_SEED_CLIENTS `{clientId, jwks, scopes, audiences}`) that
 *                                   sends an RFC 7523 client assertion (ES256, fresh jti each);
 *                                   "n/a (not supported by this build)" when auth refuses it
 *   node-oidc-provider              its own process (support/oidc-peer.ts: clientCredentials +
 *                                   resourceIndicators, accessTokenFormat 'jwt', RS256 2048-bit)
 *   bare RS256 sign                 the ceiling: crypto.sign on libuv's pool (what auth signs with,
 *                                   decision 009), 16 in flight, in a process of its own with auth's
 *                                   UV_THREADPOOL_SIZE — the most tokens/s the same cores can sign
 * Targets (read off the table): authmesh ≥ node-oidc-provider in the same run, and ≥ 70 % of the
 * bare ceiling. Exits 1 when one is missed (the report says so; `npm run bench` goes on).
 *
 * Method: load comes from autocannon in a process of its own (support/http-load.ts), BENCH_CONNECTIONS
 * keep-alive connections, one request in flight each. The servers take turns in a rotating order for
 * BENCH_ROUNDS rounds of BENCH_ROUND_S seconds after BENCH_WARMUP_ROUNDS discarded ones; a figure is
 * the median round with the spread, a ratio the median of per-round ratios. Every answer must be a
 * 200 (a refused request fails the bench: a figure with errors in it is no figure). Auth's rate limit
 * is raised by configuration (AUTH_RATE_LIMIT_PER_MIN), as an operator would for a trusted fleet.
 * On a 2-core machine the load process shares the cores with the server: compare rows, not machines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { type BenchReport, type BenchTarget, type Cell, formatNumber, measured, writeBenchReport } from './support/bench-report.js';
import { type AuthProcess, cleanUpOnSigterm, freePort, startAuthProcess } from './support/auth-process.js';
import {
  type AssertionRecipe,
  type HttpLoadJob,
  type HttpLoadResult,
  assertionBody,
  clientAssertion,
  runHttpLoad,
} from './support/http-load.js';
import { OIDC_PEER_SCOPE } from './support/oidc-peer.js';
import { AUTH_SIGN_METHOD, measureSigning } from './support/sign-load.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 4);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ISSUER = 'http://auth.bench';
const TOKEN_ENDPOINT = `${ISSUER}/oauth/token`;
const THREAD_POOL = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const CEILING_SHARE = 0.7;

type Target = 'authmesh, client_secret_basic' | 'authmesh, private_key_jwt' | 'node-oidc-provider';

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function post(url: string, body: string, authorization?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization && { authorization }) },
    body,
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { raw: text.slice(0, 200) } };
  }
}

/** The JOSE header of a JWT access token: what the peer really signs with. */
const headerOf = (token: unknown): Record<string, unknown> =>
  JSON.parse(Buffer.from(String(token).split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;

async function startOidcPeer(clientId: string, secret: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const script = new URL('./support/oidc-peer.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', BENCH_OIDC_PEER: JSON.stringify({ port, clientId, secret }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited ${code}: ${stderr}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  out(`bench:issue — ${new Date().toISOString()}, ${cores} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}`);
  const secretClient = {
    clientId: 'bench-secret',
    secret: randomBytes(32).toString('base64url'),
    scopes: ['profiles:read'],
    audiences: ['profiles'],
  };
  // The private_key_jwt client's key: P-256, generated per run, never written to disk.
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'bench-ec', alg: 'ES256', use: 'sig' };
  const jwtClient = { clientId: 'bench-jwt', jwks: { keys: [jwk] }, scopes: ['profiles:read'], audiences: ['profiles'] };
  const authEnv = { AUTH_ISSUER: ISSUER, AUTH_RATE_LIMIT_PER_MIN: '1000000', AUTH_ACCESS_TOKEN_TTL_S: '300' };

  let auth: AuthProcess | undefined;
  let peer: ChildProcess | undefined;
  let failed: boolean;
  cleanUpOnSigterm(async () => {
    peer?.kill('SIGTERM');
    await auth?.stop();
  });
  try {
    // A build without private_key_jwt refuses a seed client without a secret at start-up; then the
    // bench runs with the secret client alone and says so in the row.
    let pkjwtNote: string | undefined;
    try {
      auth = await startAuthProcess({ ...authEnv, AUTH_SEED_CLIENTS: JSON.stringify([secretClient, jwtClient]) });
    } catch (e) {
      const lines = (e instanceof Error ? e.message : String(e)).split('\n');
      const why = lines.find((l) => l.includes('AUTH_SEED_CLIENTS')) ?? lines[0] ?? '';
      pkjwtNote = `AUTH_SEED_CLIENTS with a jwks client refused at start-up: ${why.trim().slice(0, 200)}`;
      auth = await startAuthProcess({ ...authEnv, AUTH_SEED_CLIENTS: JSON.stringify([secretClient]) });
    }
    const tokenUrl = `${auth.url}/oauth/token`;
    const ccBody = new URLSearchParams({ grant_type: 'client_credentials', scope: 'profiles:read' }).toString();
    const secretAuth = basic(secretClient.clientId, secretClient.secret);
    const first = await post(tokenUrl, ccBody, secretAuth);
    if (first.status !== 200 || headerOf(first.body.access_token).alg !== 'RS256')
      throw new Error(`authmesh refused the secret client: ${first.status} ${JSON.stringify(first.body)}`);

    const recipe: AssertionRecipe = {
      clientId: jwtClient.clientId,
      audience: TOKEN_ENDPOINT,
      kid: jwk.kid,
      privateKeyPem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      pool: 0,
      fields: { grant_type: 'client_credentials', scope: 'profiles:read' },
    };
    if (!pkjwtNote) {
      const probe = await post(tokenUrl, assertionBody(recipe, clientAssertion(recipe)));
      if (probe.status !== 200) pkjwtNote = `auth answered ${probe.status} ${String(probe.body.error ?? '')}`;
    }
    out(`authmesh private_key_jwt: ${pkjwtNote ? `n/a — ${pkjwtNote}` : 'supported'}`);

    const peerSecret = randomBytes(32).toString('base64url');
    const oidc = await startOidcPeer('bench-peer', peerSecret);
    peer = oidc.child;
    const peerAuth = basic('bench-peer', peerSecret);
    const peerBody = new URLSearchParams({ grant_type: 'client_credentials', scope: OIDC_PEER_SCOPE }).toString();
    const peerFirst = await post(`${oidc.url}/token`, peerBody, peerAuth);
    const peerHeader = peerFirst.status === 200 ? headerOf(peerFirst.body.access_token) : {};
    if (peerHeader.alg !== 'RS256')
      throw new Error(`node-oidc-provider did not issue an RS256 JWT: ${peerFirst.status} ${JSON.stringify(peerFirst.body)}`);

    const targets: Target[] = [
      'authmesh, client_secret_basic',
      ...(pkjwtNote ? [] : ['authmesh, private_key_jwt' as const]),
      'node-oidc-provider',
    ];
    const jobs: Record<Target, HttpLoadJob> = {
      'authmesh, client_secret_basic': {
        url: tokenUrl,
        connections: CONNECTIONS,
        durationS: ROUND_S,
        headers: { authorization: secretAuth },
        body: ccBody,
      },
      // Enough pre-signed assertions for ~3,000 tokens/s; past them the load process signs on the fly.
      'authmesh, private_key_jwt': {
        url: tokenUrl,
        connections: CONNECTIONS,
        durationS: ROUND_S,
        assertion: { ...recipe, pool: 3000 * ROUND_S },
      },
      'node-oidc-provider': {
        url: `${oidc.url}/token`,
        connections: CONNECTIONS,
        durationS: ROUND_S,
        headers: { authorization: peerAuth },
        body: peerBody,
      },
    };
    const rounds = Object.fromEntries(targets.map((t) => [t, [] as HttpLoadResult[]])) as Record<Target, HttpLoadResult[]>;
    out(`${CONNECTIONS} connections (autocannon, own process), ${ROUNDS} rotating rounds × ${ROUND_S} s after ${WARMUP_ROUNDS} warm-up`);
    for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round + WARMUP_ROUNDS) % targets.length]!);
      for (const t of order) {
        const r = await runHttpLoad(jobs[t]);
        if (r.non2xx > 0 || r.errors > 0 || r.ok === 0)
          throw new Error(`${t}: ${r.non2xx} non-2xx (${JSON.stringify(r.statuses)}) and ${r.errors} errors in ${r.ok + r.non2xx} answers`);
        out(`  ${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${t.padEnd(30)} ${formatNumber(r.okPerSecond)}/s p99 ${r.p99Ms} ms`);
        if (round >= 0) rounds[t].push(r);
      }
    }
    await auth.stop();
    auth = undefined;
    peer.kill('SIGTERM');
    peer = undefined;

    // The ceiling, with the servers stopped: auth's signing call at load on the same cores.
    const [ceilingSeries] = await measureSigning(THREAD_POOL, {
      methods: [AUTH_SIGN_METHOD],
      concurrency: [16],
      rounds: ROUNDS,
      roundMs: 1000,
      warmupMs: 300,
    });
    const ceiling = measured(ceilingSeries!.rates);

    const rate = (t: Target): number => measured(rounds[t].map((r) => r.okPerSecond)).median;
    const paired = (t: Target): number => {
      const ratios = rounds[t].map((r, i) => r.okPerSecond / rounds['node-oidc-provider'][i]!.okPerSecond);
      return measured(ratios).median;
    };
    const median = (xs: number[]): number => measured(xs).median;
    const row = (t: Target, label: string): Cell[] => [
      label,
      measured(rounds[t].map((r) => r.okPerSecond)),
      median(rounds[t].map((r) => r.p50Ms)),
      median(rounds[t].map((r) => r.p99Ms)),
      t === 'node-oidc-provider' ? '—' : `${formatNumber(paired(t) * 100)} %`,
      `${formatNumber((rate(t) / ceiling.median) * 100)} %`,
    ];
    const rows: Cell[][] = [
      row('authmesh, client_secret_basic', 'authmesh, client_secret_basic'),
      pkjwtNote
        ? ['authmesh, private_key_jwt', 'n/a (not supported by this build)', '—', '—', '—', '—']
        : row('authmesh, private_key_jwt', 'authmesh, private_key_jwt (ES256 assertion)'),
      row('node-oidc-provider', 'node-oidc-provider 9, client_secret_basic'),
      [`bare RS256 sign (${AUTH_SIGN_METHOD}, 16 in flight, UV_THREADPOOL_SIZE ${THREAD_POOL})`, ceiling, '—', '—', '—', '100 %'],
    ];
    out();
    out('| server | tokens/s | p50 ms | p99 ms | vs node-oidc-provider | vs bare sign |');
    for (const r of rows)
      out(
        `| ${r.map((c) => (typeof c === 'object' ? formatNumber(c.median) : typeof c === 'number' ? formatNumber(c) : c)).join(' | ')} |`,
      );

    const targetsRead: BenchTarget[] = [];
    for (const t of ['authmesh, client_secret_basic', 'authmesh, private_key_jwt'] as const) {
      if (t === 'authmesh, private_key_jwt' && pkjwtNote) {
        targetsRead.push({ name: `issue: ${t} ≥ node-oidc-provider`, met: false, detail: `n/a: ${pkjwtNote}` });
        continue;
      }
      const vsPeer = paired(t);
      const vsCeiling = rate(t) / ceiling.median;
      targetsRead.push(
        {
          name: `issue: ${t} ≥ node-oidc-provider (same run)`,
          met: vsPeer >= 1,
          detail: `${formatNumber(rate(t))}/s vs ${formatNumber(rate('node-oidc-provider'))}/s (${formatNumber(vsPeer * 100)} %, median of paired rounds)`,
        },
        {
          name: `issue: ${t} ≥ ${CEILING_SHARE * 100} % of the bare RS256 sign ceiling`,
          met: vsCeiling >= CEILING_SHARE,
          detail: `${formatNumber(rate(t))}/s vs ${formatNumber(ceiling.median)}/s (${formatNumber(vsCeiling * 100)} %)`,
        },
      );
    }
    for (const t of targetsRead) out(`${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.detail}`);
    const report: BenchReport = {
      name: 'issue',
      title: 'issue — client-credentials tokens/s over HTTP',
      tables: [
        {
          title: `POST /oauth/token, grant_type=client_credentials, RS256-2048 JWT access tokens, ${CONNECTIONS} connections`,
          columns: ['server', 'tokens/s', 'p50 ms', 'p99 ms', 'vs node-oidc-provider', 'vs bare sign'],
          rows,
          notes: [
            `${ROUNDS} rotating rounds × ${ROUND_S} s per server after ${WARMUP_ROUNDS} warm-up round(s); autocannon in its own process; each server in its own process on loopback; ${cores} cores shared by load and server.`,
            `authmesh: auth from dist, Postgres and Redis real, AUTH_RATE_LIMIT_PER_MIN raised; node-oidc-provider ${peerHeader.alg} JWT access tokens via resourceIndicators (accessTokenFormat jwt), 2048-bit key.`,
            ...(pkjwtNote ? [`private_key_jwt: ${pkjwtNote}.`] : []),
          ],
        },
      ],
      targets: targetsRead,
    };
    writeBenchReport(report);
    failed = targetsRead.some((t) => !t.met);
  } catch (e) {
    process.stderr.write(`bench:issue failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    failed = true;
  } finally {
    peer?.kill('SIGTERM');
    await auth?.stop().catch(() => undefined);
  }
  process.exit(failed ? 1 : 0);
}

void main();
