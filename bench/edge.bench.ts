/**
 * `npm run bench:edge`: what authentication costs on a route that does no I/O, against the same
 * route without it and against what a Node team would use instead.
 *
 * Rows (each its own process, built under dist/; add a row by adding one entry to TARGETS):
 *   auth on      orders itself (dist/apps/orders), GET /whoami: JwtAuthGuard verifies the token
 *                against the JWKS (cached keys, verified-token cache) and checks the revocation
 *                mirror (fed by the real Redis of REDIS_URL)
 *   auth off     the same WhoamiController in orders' platform module with AssumedPrincipalGuard in
 *                JwtAuthGuard's place (bench/edge/auth-off.module.ts: bench only)
 *   authmesh strategy  the same route on AuthGuard('authmesh') (bench/edge/passport-strategy.module.ts):
 *                the @nestjs/passport path profiles runs, over the same verifier and mirror
 *   passport-jwt Nest + @nestjs/passport + passport-jwt + jwks-rsa as their docs show (on Fastify)
 *   express-jwt  express + express-jwt + jwks-rsa as their READMEs show
 *   DPoP         the `auth on` process and route with `Authorization: DPoP` and a DPoP proof
 *                (RFC 9449) per request: one DPoP-bound token (`cnf.jkt`), a fresh ES256 proof for
 *                each request, made before the run (outside the measured loop; their creation is
 *                timed apart), so the row measures the verifier's proof check and the jti replay
 *                check (local cache + Redis SET NX PX). Run in every round next to `auth on`.
 * Every verifier reads the same JWKS, served by this process from a key it generates; tokens are
 * RS256 access tokens in auth's shape, one token or `BENCH_EDGE_DISTINCT_TOKENS` (1,000) distinct
 * ones (autocannon's request generator rotates the Authorization header).
 *
 * Method: autocannon in a child process, `BENCH_EDGE_CONNECTIONS` keep-alive connections, one
 * request in flight each; a `BENCH_EDGE_WARMUP_S` warm-up per row and token set, then
 * `BENCH_EDGE_ROUNDS` rounds of `BENCH_EDGE_ROUND_S` each, every round visiting every row in a
 * rotated order (so drifting machine load hits them alike). Figures are medians over rounds with
 * their spread; ratios are medians of per-round ratios. Targets (issue 17) are read from the medians; a miss is reported, not thrown.
 * Exits 1 only if the bench itself broke (a server failed to start, a request was refused).
 */
import 'reflect-metadata';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { type BenchReport, type BenchTarget, type Cell, measured, writeBenchReport } from './support/bench-report.js';
import { benchDatabase } from './edge/bench-database.js';
import { BenchIssuer } from './edge/bench-issuer.js';
import { BenchProcess, builtScript } from './edge/bench-process.js';
import { LoadClient } from './edge/load-client.js';
import { machineLine, out, percent, printReport } from './edge/print-report.js';
import { markBlocklistSeeded } from './edge/seeded-blocklist.js';

const ROUNDS = Number(process.env.BENCH_EDGE_ROUNDS ?? 3);
const ROUND_S = Number(process.env.BENCH_EDGE_ROUND_S ?? 4);
const WARMUP_S = Number(process.env.BENCH_EDGE_WARMUP_S ?? 2);
const CONNECTIONS = Number(process.env.BENCH_EDGE_CONNECTIONS ?? 32);
const DISTINCT = Number(process.env.BENCH_EDGE_DISTINCT_TOKENS ?? 1000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The origin the DPoP row's proofs name: orders' JWT_DPOP_ORIGINS (one origin, so Host is not consulted). */
const DPOP_ORIGIN = 'http://orders.bench';

/** What a row's process needs from the bench. */
interface EdgeContext {
  readonly issuer: BenchIssuer;
  /** orders' environment (auth on and off share it). */
  readonly ordersEnv: Record<string, string>;
  /** PEER_ISSUER, PEER_AUDIENCE, PEER_JWKS_URI, PORT. */
  readonly peerEnv: Record<string, string>;
}

interface EdgeTarget {
  /** The row's name; the targets name `auth on`, `auth off`, `express-jwt`, `passport-jwt`. */
  readonly name: string;
  readonly what: string;
  start(ctx: EdgeContext): Promise<BenchProcess>;
}

const TARGETS: readonly EdgeTarget[] = [
  {
    name: 'auth on',
    what: 'orders (dist), JwtAuthGuard + revocation mirror',
    start: (ctx) => BenchProcess.start('orders', builtScript('../../apps/orders/src/main.js'), ctx.ordersEnv),
  },
  {
    name: 'auth off',
    what: 'same controller and platform, no verification',
    start: (ctx) => BenchProcess.start('auth off', builtScript('./auth-off.main.js'), ctx.ordersEnv),
  },
  {
    name: 'authmesh strategy',
    what: "orders' route on AuthGuard('authmesh') (@nestjs/passport over the same verifier)",
    start: (ctx) => BenchProcess.start('authmesh strategy', builtScript('./passport-strategy.main.js'), ctx.ordersEnv),
  },
  {
    name: 'passport-jwt',
    what: 'Nest + @nestjs/passport + passport-jwt + jwks-rsa',
    start: (ctx) => BenchProcess.start('passport-jwt', builtScript('./passport-jwt-peer.main.js'), ctx.peerEnv),
  },
  {
    name: 'express-jwt',
    what: 'express + express-jwt + jwks-rsa',
    start: (ctx) => BenchProcess.start('express-jwt', builtScript('./express-jwt-peer.main.js'), ctx.peerEnv),
  },
];

interface TokenSet {
  readonly name: string;
  readonly tokens: readonly string[];
}

interface Runs {
  rps: number[];
  p50: number[];
  p99: number[];
}

async function main(): Promise<void> {
  out(machineLine('edge'));
  const db = benchDatabase('edge');
  const running: BenchProcess[] = [];
  let issuer: BenchIssuer | undefined;
  let load: LoadClient | undefined;
  let broke = false;
  let unseed: (() => Promise<void>) | undefined;
  try {
    unseed = await markBlocklistSeeded(REDIS_URL);
    issuer = await BenchIssuer.start();
    const ctx: EdgeContext = {
      issuer,
      ordersEnv: {
        DATABASE_URL: db.url,
        REDIS_URL,
        LOG_LEVEL: 'silent',
        PORT: '0',
        MANAGEMENT_PORT: '0',
        HOST: '127.0.0.1',
        AUTH_ISSUER: issuer.url,
        AUTH_JWKS_URI: issuer.jwksUri,
        // orders calls profiles (with a service token) only to create an order; /whoami never does.
        ORDERS_CLIENT_SECRET: randomBytes(32).toString('base64url'),
        PROFILES_URL: 'http://127.0.0.1:9',
        AUTH_TOKEN_URL: 'http://127.0.0.1:9/oauth/token',
        JWT_DPOP_ORIGINS: DPOP_ORIGIN,
      },
      peerEnv: { PEER_ISSUER: issuer.url, PEER_AUDIENCE: 'orders', PEER_JWKS_URI: issuer.jwksUri, PORT: '0' },
    };
    const urls = new Map<string, string>();
    for (const target of TARGETS) {
      const p = await target.start(ctx);
      running.push(p);
      urls.set(target.name, `${p.url}/whoami`);
    }
    const one: TokenSet = { name: '1 token', tokens: [issuer.token('orders')] };
    const distinct: TokenSet = {
      name: `${DISTINCT.toLocaleString('en-US')} tokens`,
      tokens: Array.from({ length: DISTINCT }, () => issuer!.token('orders')),
    };
    const sets = [one, distinct];

    // Correctness before measuring: every row answers the same principal for the same token.
    for (const target of TARGETS) {
      const res = await fetch(urls.get(target.name)!, { headers: { authorization: `Bearer ${one.tokens[0]}` } });
      const body = (await res.json()) as { sub?: string };
      if (res.status !== 200 || body.sub !== 'bench-user') throw new Error(`${target.name} answered ${res.status} ${JSON.stringify(body)}`);
    }

    load = await LoadClient.start();
    const l = load;
    const key = (t: EdgeTarget, s: TokenSet): string => `${t.name} / ${s.name}`;
    const runs = new Map<string, Runs>();
    const pairs = TARGETS.flatMap((t) => sets.map((s) => ({ t, s })));
    const once = async (t: EdgeTarget, s: TokenSet, seconds: number): Promise<{ rps: number; p50: number; p99: number }> => {
      const r = await l.run({ url: urls.get(t.name)!, connections: CONNECTIONS, durationSeconds: seconds, tokens: s.tokens });
      if (r.non2xx > 0 || r.errors > 0) {
        throw new Error(`${key(t, s)}: ${r.non2xx} non-2xx answers and ${r.errors} connection errors in ${r.responses} responses`);
      }
      return { rps: r.responses / r.durationSeconds, p50: r.p50Ms, p99: r.p99Ms };
    };
    // The DPoP row: one bound token, a proof per request made before each run.
    const dpop = await dpopRequests(issuer);
    const ordersUrl = urls.get('auth on')!;
    const dpopRuns: Runs = { rps: [], p50: [], p99: [] };
    const dpopOnce = async (amount: number): Promise<{ rps: number; p50: number; p99: number }> => {
      const headerSets = await dpop.make(amount, `${DPOP_ORIGIN}/whoami`);
      const r = await l.run({ url: ordersUrl, connections: CONNECTIONS, durationSeconds: 600, amount, tokens: [], headerSets });
      if (r.non2xx > 0 || r.errors > 0)
        throw new Error(`DPoP: ${r.non2xx} non-2xx answers and ${r.errors} connection errors in ${r.responses} responses`);
      return { rps: r.responses / r.durationSeconds, p50: r.p50Ms, p99: r.p99Ms };
    };
    {
      const [check] = await dpop.make(1, `${DPOP_ORIGIN}/whoami`);
      const res = await fetch(ordersUrl, { headers: check! });
      if (res.status !== 200) throw new Error(`DPoP answered ${res.status} ${await res.text()}`);
    }

    out(`warm-up: ${WARMUP_S} s per row and token set; then ${ROUNDS} rounds × ${ROUND_S} s, ${CONNECTIONS} connections`);
    for (const { t, s } of pairs) await once(t, s, WARMUP_S);
    const dpopWarm = await dpopOnce(2000);
    // Enough proofs for a round of about ROUND_S at the warm-up's rate.
    const dpopAmount = Math.max(2000, Math.round(dpopWarm.rps * ROUND_S));
    for (let round = 0; round < ROUNDS; round++) {
      const order = pairs.map((_, i) => pairs[(i + round) % pairs.length]!);
      for (const { t, s } of order) {
        const r = await once(t, s, ROUND_S);
        const k = key(t, s);
        const acc = runs.get(k) ?? { rps: [], p50: [], p99: [] };
        acc.rps.push(r.rps);
        acc.p50.push(r.p50);
        acc.p99.push(r.p99);
        runs.set(k, acc);
      }
      const d = await dpopOnce(dpopAmount);
      dpopRuns.rps.push(d.rps);
      dpopRuns.p50.push(d.p50);
      dpopRuns.p99.push(d.p99);
      out(`round ${round + 1}/${ROUNDS} done`);
    }

    const rpsOf = (name: string, s: TokenSet): number => measured(runs.get(`${name} / ${s.name}`)!.rps).median;
    // A ratio is the median of per-round ratios: the two rows of a round ran seconds apart, so
    // machine load that drifts between rounds (other processes on the 2 cores) cancels out.
    const ratioOf = (a: string, b: string, s: TokenSet): number => {
      const ra = runs.get(`${a} / ${s.name}`)!.rps;
      const rb = runs.get(`${b} / ${s.name}`)!.rps;
      return measured(ra.map((x, i) => x / rb[i]!)).median;
    };
    const rows: Cell[][] = [];
    for (const s of sets) {
      for (const t of TARGETS) {
        const r = runs.get(key(t, s))!;
        rows.push([t.name, t.what, s.name, measured(r.rps), measured(r.p50), measured(r.p99), percent(ratioOf(t.name, 'auth off', s))]);
      }
    }
    const authOnOne = runs.get(`auth on / ${one.name}`)!.rps;
    const dpopVsBearer = measured(dpopRuns.rps.map((x, i) => x / authOnOne[i]!)).median;
    const authOff = runs.get(`auth off / ${one.name}`)!.rps;
    rows.push([
      'DPoP',
      'auth on, `Authorization: DPoP` + a fresh ES256 proof per request',
      `1 token, ${dpopAmount.toLocaleString('en-US')} proofs/round`,
      measured(dpopRuns.rps),
      measured(dpopRuns.p50),
      measured(dpopRuns.p99),
      percent(measured(dpopRuns.rps.map((x, i) => x / authOff[i]!)).median),
    ]);
    const targets: BenchTarget[] = [];
    const ratioTarget = (s: TokenSet, than: string, factor: number, label: string): void => {
      const on = rpsOf('auth on', s);
      const other = rpsOf(than, s);
      const ratio = ratioOf('auth on', than, s);
      targets.push({
        name: `edge, ${s.name}: auth on ${label}`,
        met: ratio >= factor,
        detail: `${Math.round(on).toLocaleString('en-US')}/s vs ${Math.round(other).toLocaleString('en-US')}/s (median of per-round ratios: ${than === 'auth off' ? percent(ratio) : `${ratio.toFixed(2)}×`})`,
      });
    };
    for (const s of sets) {
      ratioTarget(s, 'auth off', 0.9, '≥ 90 % of auth off');
      ratioTarget(s, 'express-jwt', 3, '≥ 3× express-jwt');
      ratioTarget(s, 'passport-jwt', 2, '≥ 2× passport-jwt');
    }
    const report: BenchReport = {
      name: 'edge',
      title: 'Authenticated route without I/O (GET /whoami): auth on, auth off, peers',
      tables: [
        {
          title: `GET /whoami, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${ROUND_S} s after a ${WARMUP_S} s warm-up per row`,
          columns: ['row', 'what', 'tokens', 'req/s', 'p50 ms', 'p99 ms', 'vs auth off'],
          rows,
          notes: [
            'Each row is its own process from dist/; load is autocannon in another process (one request in flight per connection; with several tokens its request generator rotates the Authorization header). All share the machine’s cores, so read the ratios, not the absolute numbers.',
            `Keys: every verifier fetches one JWKS served by the bench from an RSA-2048 key it generates; tokens are RS256 access tokens in auth’s shape (typ at+jwt, iss, aud orders, exp 1 h). auth on checks revocation against its in-process mirror of the blocklist, fed by a real Redis (${new URL(REDIS_URL).host}); auth off is the same controller and platform module with a bench-only guard that assigns the principal.`,
            `DPoP: the auth on process and route (JWT_DPOP_ORIGINS=${DPOP_ORIGIN}), one DPoP-bound token (cnf.jkt) served from the verified-token cache, a fresh ES256 proof per request made before each run: the row pays the proof check (jose jwtVerify under the embedded JWK, its RFC 7638 thumbprint, htm/htu/iat/ath/jkt) and the jti replay check (lru-cache, then Redis SET NX PX on ${new URL(REDIS_URL).host}). DPoP vs bearer (auth on, 1 token), median of per-round ratios: ${percent(dpopVsBearer)}. Proof creation, timed apart on the bench's thread: ${dpop.microsPerProof().toFixed(0)} µs per proof.`,
            "Peers as their docs show them: passport-jwt through NestJS’s Passport recipe (JwtStrategy extends PassportStrategy(Strategy), AuthGuard('jwt')) with jwks-rsa’s passportJwtSecret (cache, rateLimit, 5 requests/min), on Fastify as orders is (@nestjs/platform-express is not installed); express 5 + express-jwt with jwks-rsa’s expressJwtSecret (same options). Both verify issuer, audience and RS256; neither caches a verified token, so each request pays RSA.",
          ],
        },
      ],
      targets,
    };
    printReport(report);
    writeBenchReport(report);
  } catch (e) {
    process.stderr.write(`bench:edge failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    broke = true;
  } finally {
    await load?.close();
    for (const p of running.reverse()) await p.stop().catch(() => undefined);
    await issuer?.close();
    await unseed?.().catch(() => undefined);
    await db.drop();
  }
  process.exit(broke ? 1 : 0);
}

/** DPoP proofs for the bench: one ES256 key, one token bound to it, `make` signs `n` fresh proofs. */
async function dpopRequests(issuer: BenchIssuer): Promise<{
  make(n: number, htu: string): Promise<Record<string, string>[]>;
  microsPerProof(): number;
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const token = issuer.token('orders', 3600, { cnf: { jkt: await calculateJwkThumbprint(jwk, 'sha256') } });
  const ath = createHash('sha256').update(token).digest('base64url');
  let made = 0;
  let spentMs = 0;
  return {
    async make(n, htu) {
      const t0 = performance.now();
      const iat = Math.floor(Date.now() / 1000);
      const sets: Record<string, string>[] = [];
      for (let i = 0; i < n; i++) {
        const proof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu, iat, ath })
          .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
          .sign(privateKey);
        sets.push({ authorization: `DPoP ${token}`, dpop: proof });
      }
      spentMs += performance.now() - t0;
      made += n;
      return sets;
    },
    microsPerProof: () => (made === 0 ? 0 : (spentMs * 1000) / made),
  };
}

void main();
