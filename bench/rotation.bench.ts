/**
 * `npm run bench:rotation`: signing-key rotations under steady load, with every part real — auth
 * and orders as their own processes from dist/, their databases on the real Postgres
 * (`authmesh_bench_rotation_*`, dropped afterwards), the real Redis of REDIS_URL carrying auth's
 * key-set announcements and the blocklist — and load from autocannon in a process of its own.
 *
 * Each round: `BENCH_ROTATION_BEFORE_S` of steady load (the "before" p99), then under the same
 * load `BENCH_ROTATION_PLANNED` planned rotations through auth's admin API (`POST
 * /admin/keys/rotate`: the key is published at once and signs after AUTH_KEY_PUBLISH_DELAY_S; the
 * bench waits until `GET /admin/keys` shows it active, then `BENCH_ROTATION_HOLD_S` more), then one
 * emergency rotation (`POST /admin/keys/<active kid>/revoke`: the signing key is revoked, another
 * key signs at once) and `BENCH_ROTATION_AFTER_S` more load. The load's tokens come from auth's
 * token endpoint (client credentials) every `BENCH_ROTATION_REFRESH_MS`, the last 8 in use at
 * once, so tokens of the previous key are still in flight after each rotation.
 *
 * Counted: every response of orders' GET /whoami. A failure is any non-2xx answer or connection
 * error, except answers to tokens signed by the revoked key that came after the bench began the
 * emergency revocation: those tokens are expected to be refused, and are counted apart (the phase
 * switches just before the revoke call; the bench stops using them at once and waits for a fresh
 * token). Target (issue 17): failures 0. Several rounds give the p99s a median and a spread.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { type BenchReport, type Cell, measured, writeBenchReport } from './support/bench-report.js';
import { benchDatabase } from './edge/bench-database.js';
import { BenchProcess, builtScript } from './edge/bench-process.js';
import { LoadClient } from './edge/load-client.js';
import type { KidTally, LoadSummary } from './edge/load-protocol.js';
import { machineLine, out, printReport } from './edge/print-report.js';
import { AuthClient, type ClientCredentials } from './rotation/auth-client.js';
import { TokenFeed } from './rotation/token-feed.js';

const ROUNDS = Number(process.env.BENCH_ROTATION_ROUNDS ?? 2);
const WARMUP_S = Number(process.env.BENCH_ROTATION_WARMUP_S ?? 3);
const BEFORE_S = Number(process.env.BENCH_ROTATION_BEFORE_S ?? 6);
const PLANNED = Number(process.env.BENCH_ROTATION_PLANNED ?? 3);
const HOLD_S = Number(process.env.BENCH_ROTATION_HOLD_S ?? 1.5);
const AFTER_S = Number(process.env.BENCH_ROTATION_AFTER_S ?? 3);
const REFRESH_MS = Number(process.env.BENCH_ROTATION_REFRESH_MS ?? 250);
const CONNECTIONS = Number(process.env.BENCH_ROTATION_CONNECTIONS ?? 16);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Auth listens on a port chosen at start, so the issuer is a fixed name and orders gets the JWKS URI.
const ISSUER = 'http://auth.bench';
const secret = (): string => randomBytes(32).toString('base64url');
const AUTHCTL: ClientCredentials = { clientId: 'authctl', secret: secret() };
const LOAD_CLIENT: ClientCredentials = { clientId: 'bench-load', secret: secret() };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one round measured. */
interface Round {
  before: LoadSummary;
  during: LoadSummary;
  /** Answers to the revoked key's tokens while the revoke call ran, and after it returned. */
  revoking: KidTally;
  revoked: KidTally;
  /** Answers to older keys' tokens after a planned rotation's key became active. */
  inFlight: KidTally;
  /** Failures among the counted answers (everything else), with their statuses. */
  failed: number;
  failedStatuses: Record<number, number>;
  /** How long auth's revoke call took. */
  revokeCallMs: number;
  keys: string[];
}

/** Waits until `kid` is the active key (its publish delay passed and auth's timer promoted it). */
async function waitActive(auth: AuthClient, kid: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await auth.keys()).some((k) => k.kid === kid && k.state === 'active')) return;
    await sleep(100);
  }
  throw new Error(`key ${kid} was not active within ${timeoutMs} ms`);
}

function tally(summary: LoadSummary, include: (phase: string, kid: string) => boolean): KidTally {
  const t: KidTally = { ok: 0, failed: 0, statuses: {} };
  for (const [key, v] of Object.entries(summary.byKid)) {
    const [phase, kid] = key.split('|') as [string, string];
    if (!include(phase, kid)) continue;
    t.ok += v.ok;
    t.failed += v.failed;
    for (const [s, n] of Object.entries(v.statuses)) t.statuses[Number(s)] = (t.statuses[Number(s)] ?? 0) + n;
  }
  return t;
}

const statuses = (s: Record<number, number>): string =>
  Object.entries(s)
    .map(([code, n]) => `${n} × ${code}`)
    .join(', ') || '—';

async function main(): Promise<void> {
  out(machineLine('rotation'));
  const db = benchDatabase('rotation');
  const running: BenchProcess[] = [];
  let load: LoadClient | undefined;
  let feed: TokenFeed | undefined;
  let broke = false;
  try {
    const common = { DATABASE_URL: db.url, REDIS_URL, LOG_LEVEL: 'silent', PORT: '0', MANAGEMENT_PORT: '0', HOST: '127.0.0.1' };
    const authProcess = await BenchProcess.start('auth', builtScript('../../apps/auth/src/main.js'), {
      ...common,
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: ISSUER,
      AUTH_SEED_CLIENTS: JSON.stringify([
        { clientId: AUTHCTL.clientId, secret: AUTHCTL.secret, scopes: ['auth:admin'], audiences: ['auth'] },
        { clientId: LOAD_CLIENT.clientId, secret: LOAD_CLIENT.secret, scopes: ['orders:read'], audiences: ['orders'] },
      ]),
      AUTH_RATE_LIMIT_PER_MIN: '1000000',
      // A rotation the bench can watch: the JWKS may be cached 1 s, so a planned key is published
      // 2 s before it signs (auth refuses a publish delay below the max-age), and the key timer
      // runs every 0.5 s. Production defaults are 300 s, 600 s and 5 s: the same steps, slower.
      AUTH_JWKS_MAX_AGE_S: '1',
      AUTH_KEY_PUBLISH_DELAY_S: '2',
      AUTH_KEY_CHECK_INTERVAL_S: '0.5',
      AUTH_KEY_ROTATION_DAYS: '0',
    });
    running.push(authProcess);
    const orders = await BenchProcess.start('orders', builtScript('../../apps/orders/src/main.js'), {
      ...common,
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URI: `${authProcess.url}/.well-known/jwks.json`,
      // orders calls profiles (with a service token) only to create an order; /whoami never does.
      ORDERS_CLIENT_SECRET: secret(),
      PROFILES_URL: 'http://127.0.0.1:9',
    });
    running.push(orders);
    const auth = new AuthClient(authProcess.url, AUTHCTL);
    load = await LoadClient.start();
    const l = load;
    feed = new TokenFeed(auth, LOAD_CLIENT, (tokens) => l.setTokens(tokens), 8, REFRESH_MS);
    await feed.start();
    const f = feed;
    const url = `${orders.url}/whoami`;
    const job = (durationSeconds: number) => ({ url, connections: CONNECTIONS, durationSeconds, tokens: f.current() });

    out(
      `warm-up ${WARMUP_S} s; then ${ROUNDS} rounds: ${BEFORE_S} s steady, ${PLANNED} planned rotations and one emergency rotation under load`,
    );
    const warm = await l.run(job(WARMUP_S));
    if (warm.non2xx > 0 || warm.errors > 0) throw new Error(`warm-up: ${warm.non2xx} non-2xx, ${warm.errors} errors`);

    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const before = await l.run(job(BEFORE_S));
      const keys: string[] = [];
      // The rotations happen while this run goes; it is stopped once they are done.
      const duringRun = l.run(job(3600));
      let revokedKid = '';
      let revokeCallMs = 0;
      try {
        for (let i = 0; i < PLANNED; i++) {
          const key = await auth.rotate(`bench: planned rotation ${i + 1} of round ${r + 1}`);
          keys.push(key.kid);
          await waitActive(auth, key.kid);
          // Answers from here to the next rotation, to tokens of older keys: the tokens in flight.
          l.setPhase(`rotated:${key.kid}`);
          await sleep(HOLD_S * 1000);
        }
        const active = (await auth.keys()).find((k) => k.state === 'active');
        if (!active) throw new Error('no active key');
        revokedKid = active.kid;
        // From here on, answers to this key's tokens are expected refusals, counted apart.
        l.setPhase('revoking');
        f.drop(revokedKid);
        const t0 = performance.now();
        const { active: next } = await auth.revoke(revokedKid, `bench: emergency rotation of round ${r + 1}`);
        revokeCallMs = performance.now() - t0;
        l.setPhase('revoked');
        keys.push(next.kid);
        await f.refresh(); // a fresh token of the new key at once, as a client refused with token_revoked would fetch
        await sleep(AFTER_S * 1000);
        f.check();
      } finally {
        l.stop();
      }
      const during = await duringRun;
      const expectedToFail = (phase: string, kid: string): boolean => kid === revokedKid && (phase === 'revoking' || phase === 'revoked');
      const revoking = tally(during, (phase, kid) => phase === 'revoking' && kid === revokedKid);
      const revoked = tally(during, (phase, kid) => phase === 'revoked' && kid === revokedKid);
      const counted = tally(during, (phase, kid) => !expectedToFail(phase, kid));
      // Tokens of the previous key(s) answered after a planned rotation's key became active.
      const inFlight = tally(during, (phase, kid) => phase.startsWith('rotated:') && phase !== `rotated:${kid}`);
      const failed = counted.failed + during.errors + before.non2xx + before.errors;
      const failedStatuses = { ...counted.statuses };
      rounds.push({ before, during, revoking, revoked, inFlight, failed, failedStatuses, revokeCallMs, keys });
      out(
        `round ${r + 1}/${ROUNDS}: ${before.responses + during.responses} answers, ${failed} failed; the revoked key's tokens: while the revoke call ran (${Math.round(revokeCallMs)} ms) ${revoking.ok} × 2xx, ${statuses(revoking.statuses)}; after it returned ${revoked.ok} × 2xx, ${statuses(revoked.statuses)}`,
      );
    }

    const sum = (f: (x: Round) => number): number => rounds.reduce((n, x) => n + f(x), 0);
    const failed = sum((x) => x.failed);
    const countedDuring = sum((x) => x.during.responses - x.revoking.ok - x.revoking.failed - x.revoked.ok - x.revoked.failed);
    const table1: Cell[][] = [
      [
        'before (steady load)',
        sum((x) => x.before.generated),
        sum((x) => x.before.responses),
        sum((x) => x.before.non2xx + x.before.errors),
        measured(rounds.map((x) => x.before.responses / x.before.durationSeconds)),
        measured(rounds.map((x) => x.before.p50Ms)),
        measured(rounds.map((x) => x.before.p99Ms)),
        measured(rounds.map((x) => x.before.maxMs)),
      ],
      [
        `during (${PLANNED} planned + 1 emergency)`,
        sum((x) => x.during.generated),
        countedDuring,
        sum((x) => x.failed - x.before.non2xx - x.before.errors),
        measured(rounds.map((x) => x.during.responses / x.during.durationSeconds)),
        measured(rounds.map((x) => x.during.p50Ms)),
        measured(rounds.map((x) => x.during.p99Ms)),
        measured(rounds.map((x) => x.during.maxMs)),
      ],
    ];
    const merge = (pick: (x: Round) => Record<number, number>): Record<number, number> => {
      const all: Record<number, number> = {};
      for (const x of rounds) for (const [code, n] of Object.entries(pick(x))) all[Number(code)] = (all[Number(code)] ?? 0) + n;
      return all;
    };
    const allFailedStatuses = merge((x) => x.failedStatuses);

    const report: BenchReport = {
      name: 'rotation',
      title: 'Key rotation under steady load (orders GET /whoami, tokens from auth)',
      tables: [
        {
          title: `${ROUNDS} rounds, ${CONNECTIONS} connections; ${PLANNED} planned rotations and 1 emergency rotation per round`,
          columns: ['phase', 'requests sent', 'answers counted', 'failed', 'req/s', 'p50 ms', 'p99 ms', 'max ms'],
          rows: table1,
          notes: [
            `Failed: ${failed} (${statuses(allFailedStatuses)}). Counted: every answer of both phases except answers to tokens signed by the key the emergency rotation revoked, once the bench began revoking it (it stops sending them then, but all tokens in use were that key's, so it keeps them until a fresh one comes). Those are counted apart: while the revoke call ran (it creates the new key: up to ${Math.round(Math.max(...rounds.map((x) => x.revokeCallMs)))} ms) ${sum((x) => x.revoking.ok)} × 2xx, ${statuses(merge((x) => x.revoking.statuses))}; after it returned ${sum((x) => x.revoked.ok)} × 2xx (answered before orders heard of the revocation), ${statuses(merge((x) => x.revoked.statuses))}. "requests sent" includes them; requests in flight when a run stopped are sent but not answered.`,
            `auth and orders: own processes from dist/; Postgres databases authmesh_bench_rotation_* (dropped afterwards); Redis ${new URL(REDIS_URL).host} (key-set announcements, blocklist). Rotation pace: AUTH_JWKS_MAX_AGE_S=1, AUTH_KEY_PUBLISH_DELAY_S=2, AUTH_KEY_CHECK_INTERVAL_S=0.5 (production: 300, 600, 5); orders at its defaults (JWKS_COOLDOWN_S=30). A planned rotation: POST /admin/keys/rotate, wait until GET /admin/keys shows the key active, then ${HOLD_S} s; the emergency one: POST /admin/keys/<active kid>/revoke, then a fresh token at once and ${AFTER_S} s more.`,
            `Tokens in flight through the planned rotations: after each new key became active, ${sum((x) => x.inFlight.ok + x.inFlight.failed)} answers went to tokens signed by an older key, ${sum((x) => x.inFlight.failed)} of them refused (${statuses(merge((x) => x.inFlight.statuses))}).`,
            `Tokens: client credentials from auth every ${REFRESH_MS} ms, the last 8 rotated over by autocannon's request generator, so the previous key's tokens are still sent after each rotation. Keys created, per round: ${rounds.map((x) => x.keys.map((k) => k.slice(0, 8)).join(' → ')).join('; ')}.`,
          ],
        },
      ],
      targets: [
        {
          name: 'rotation: failures 0',
          met: failed === 0,
          detail: `${failed} failed of ${sum((x) => x.before.responses) + countedDuring} counted answers`,
        },
      ],
    };
    printReport(report);
    writeBenchReport(report);
  } catch (e) {
    process.stderr.write(`bench:rotation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    broke = true;
  } finally {
    feed?.stop();
    await load?.close();
    for (const p of running.reverse()) await p.stop().catch(() => undefined);
    await db.drop();
  }
  process.exit(broke ? 1 : 0);
}

void main();
