/**
 * `npm run bench:memory`: the resident memory of a verifying service (orders, its own process
 * from dist/) after `BENCH_MEMORY_TOKENS` (100,000) distinct valid tokens, and after they expired.
 *
 * The tokens are RS256 access tokens the bench signs with a key whose JWKS it serves (so the
 * figure is the verifier's, not auth's), each valid for `BENCH_MEMORY_TOKEN_TTL_S` (30 s) and sent
 * once, by autocannon in a process of its own, in chunks of 2,000 (the next chunk is signed on
 * libuv's pool in this process while the current one is sent). orders runs at its defaults but
 * JWT_CLOCK_TOLERANCE_S (`BENCH_MEMORY_CLOCK_TOLERANCE_S`, 5 s instead of 30): an entry of the
 * verified-token cache lives until exp + tolerance, so the bench waits that long after the last
 * token, and a shorter tolerance keeps the bench within 3 minutes without changing what is kept.
 *
 * What frees memory (libs/token-verifier): the verified-token cache is an LRU of at most 10,000
 * entries with a TTL at each token's exp; lru-cache drops an expired entry when it is read or when
 * a new entry pushes the least recently used one out, not on a timer. So after the wait the bench
 * sends a trickle of new tokens (`BENCH_MEMORY_TRICKLE` over `BENCH_MEMORY_TRICKLE_S`), as a
 * quiet service would see, and reads RSS (VmRSS of /proc/<pid>/status) again; it also reads V8's
 * heap from orders' /metrics, which tells retained objects from memory V8 has not returned.
 *
 * Target (issue 17): ≤ 256 MiB after the 100k tokens, and back near the start after they expire
 * ("near": within 25 % or 32 MiB of the start, whichever is larger). Reported, never thrown.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { type BenchReport, type Cell, writeBenchReport } from './support/bench-report.js';
import { benchDatabase } from './edge/bench-database.js';
import { BenchIssuer } from './edge/bench-issuer.js';
import { BenchProcess, builtScript } from './edge/bench-process.js';
import { LoadClient } from './edge/load-client.js';
import { machineLine, out, printReport } from './edge/print-report.js';
import { markBlocklistSeeded } from './edge/seeded-blocklist.js';
import { readMetrics } from './memory/metrics-reader.js';

const TOKENS = Number(process.env.BENCH_MEMORY_TOKENS ?? 100_000);
const CHUNK = Number(process.env.BENCH_MEMORY_CHUNK ?? 2_000);
const TTL_S = Number(process.env.BENCH_MEMORY_TOKEN_TTL_S ?? 30);
const TOLERANCE_S = Number(process.env.BENCH_MEMORY_CLOCK_TOLERANCE_S ?? 5);
const TRICKLE = Number(process.env.BENCH_MEMORY_TRICKLE ?? 200);
const TRICKLE_S = Number(process.env.BENCH_MEMORY_TRICKLE_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_MEMORY_CONNECTIONS ?? 32);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MiB = 1024 * 1024;
const LIMIT_MIB = 256;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number): number => bytes / MiB;

interface Sample {
  readonly when: string;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly rsaVerifications: number;
  readonly seconds: number;
}

async function main(): Promise<void> {
  out(machineLine('memory'));
  const db = benchDatabase('memory');
  let orders: BenchProcess | undefined;
  let issuer: BenchIssuer | undefined;
  let load: LoadClient | undefined;
  let unseed: (() => Promise<void>) | undefined;
  let broke = false;
  const started = performance.now();
  try {
    unseed = await markBlocklistSeeded(REDIS_URL);
    issuer = await BenchIssuer.start();
    const iss = issuer;
    orders = await BenchProcess.start('orders', builtScript('../../apps/orders/src/main.js'), {
      DATABASE_URL: db.url,
      REDIS_URL,
      LOG_LEVEL: 'silent',
      PORT: '0',
      MANAGEMENT_PORT: '0',
      HOST: '127.0.0.1',
      AUTH_ISSUER: iss.url,
      AUTH_JWKS_URI: iss.jwksUri,
      JWT_CLOCK_TOLERANCE_S: String(TOLERANCE_S),
      // orders calls profiles (with a service token) only to create an order; /whoami never does.
      ORDERS_CLIENT_SECRET: randomBytes(32).toString('base64url'),
      PROFILES_URL: 'http://127.0.0.1:9',
      AUTH_TOKEN_URL: 'http://127.0.0.1:9/oauth/token',
    });
    const o = orders;
    load = await LoadClient.start();
    const l = load;
    const url = `${o.url}/whoami`;
    const samples: Sample[] = [];
    const sample = async (when: string): Promise<Sample> => {
      const m = await readMetrics(o.managementUrl!);
      const s: Sample = {
        when,
        rssMiB: mib(o.rssBytes()),
        heapUsedMiB: mib(m.value('nodejs_heap_size_used_bytes')),
        heapTotalMiB: mib(m.value('nodejs_heap_size_total_bytes')),
        rsaVerifications: m.value('verified_token_cache_lookups', 'result="miss"'),
        seconds: (performance.now() - started) / 1000,
      };
      samples.push(s);
      out(`${s.seconds.toFixed(0).padStart(4)} s  ${when}: RSS ${s.rssMiB.toFixed(1)} MiB, V8 heap used ${s.heapUsedMiB.toFixed(1)} MiB`);
      return s;
    };
    const sign = (n: number, ttl: number): Promise<string[]> => Promise.all(Array.from({ length: n }, () => iss.tokenAsync('orders', ttl)));
    const send = async (tokens: string[], what: string, durationSeconds = 3600): Promise<void> => {
      const r = await l.run({ url, connections: Math.min(CONNECTIONS, tokens.length), durationSeconds, amount: tokens.length, tokens });
      if (r.non2xx > 0 || r.errors > 0)
        throw new Error(`${what}: ${r.non2xx} non-2xx answers and ${r.errors} connection errors in ${r.responses}`);
    };

    // Start: the process warmed up (JIT, pools) on a few hundred tokens, as a service is once it has served a little.
    await sample('idle after start');
    await send(await sign(300, TTL_S), 'warm-up');
    const warm = await sample('start (after 300 warm-up tokens)');

    let peak = warm.rssMiB;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, mib(o.rssBytes()));
      } catch {
        // the process is gone: the run's own error says why
      }
    }, 250);
    let lastExpiry = 0;
    let nextChunk: Promise<string[]> | undefined = sign(Math.min(CHUNK, TOKENS), TTL_S);
    for (let sent = 0; sent < TOKENS;) {
      const tokens = await nextChunk!;
      const n = Math.min(CHUNK, TOKENS - sent - tokens.length);
      nextChunk = n > 0 ? sign(n, TTL_S) : undefined;
      await send(tokens, `tokens ${sent + 1}-${sent + tokens.length}`);
      sent += tokens.length;
      lastExpiry = Date.now() + TTL_S * 1000;
      out(`${sent.toLocaleString('en-US')} tokens sent`);
    }
    clearInterval(sampler);
    const after = await sample(`after ${TOKENS.toLocaleString('en-US')} distinct tokens`);
    peak = Math.max(peak, after.rssMiB);

    // Every token's cache entry ends at exp + tolerance; wait past the last one, then a trickle of new tokens.
    const waitMs = lastExpiry + TOLERANCE_S * 1000 + 1000 - Date.now();
    out(`waiting ${(waitMs / 1000).toFixed(0)} s until every token has expired`);
    await sleep(Math.max(0, waitMs));
    const expiredIdle = await sample('every token expired, before the trickle');
    const perRequestMs = (TRICKLE_S * 1000) / TRICKLE;
    const trickleTokens = await sign(TRICKLE, TTL_S);
    for (const token of trickleTokens) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`trickle: ${res.status}`);
      await sleep(perRequestMs);
    }
    const final = await sample(`after a trickle of ${TRICKLE} new tokens over ${TRICKLE_S} s`);

    const near = (s: Sample): boolean => s.rssMiB <= Math.max(warm.rssMiB * 1.25, warm.rssMiB + 32);
    const rows: Cell[][] = samples.map((s) => [
      s.when,
      Number(s.seconds.toFixed(0)),
      Number(s.rssMiB.toFixed(1)),
      Number(s.heapUsedMiB.toFixed(1)),
      Number(s.heapTotalMiB.toFixed(1)),
      s.rsaVerifications,
    ]);
    const report: BenchReport = {
      name: 'memory',
      title: `RSS of orders after ${TOKENS.toLocaleString('en-US')} distinct tokens and after they expired`,
      tables: [
        {
          title: `orders (dist), ${TOKENS.toLocaleString('en-US')} distinct RS256 tokens valid ${TTL_S} s, each sent once over ${CONNECTIONS} connections`,
          columns: ['moment', 's since start', 'RSS MiB', 'V8 heap used MiB', 'V8 heap total MiB', 'RSA verifications'],
          rows,
          notes: [
            `Peak RSS while the tokens were sent (sampled every 250 ms): ${peak.toFixed(1)} MiB. One run: RSS is a level, not a rate, and one run takes most of the bench’s 3 minutes (signing ${TOKENS.toLocaleString('en-US')} RSA-2048 tokens is the cost).`,
            `orders at its defaults (verified-token cache of 10,000 entries, real Redis ${new URL(REDIS_URL).host} for the revocation mirror, the bench writing the empty blocklist’s seed marker) but JWT_CLOCK_TOLERANCE_S=${TOLERANCE_S}. RSS is VmRSS of /proc/<pid>/status; the heap figures are orders’ own nodejs_heap_size_* metrics.`,
            'The verified-token cache (lru-cache, max 10,000, TTL to exp + tolerance) drops an expired entry when it is read or pushed out, and sweeps every expired one when it stores a token at most once a minute (no timer): after expiry without traffic the entries are still held, the trickle’s first new token sweeps them. V8 keeps freed heap pages for a while, so RSS falls later than the heap does.',
          ],
        },
      ],
      targets: [
        {
          name: `memory: ≤ ${LIMIT_MIB} MiB RSS after ${TOKENS.toLocaleString('en-US')} tokens`,
          met: peak <= LIMIT_MIB && after.rssMiB <= LIMIT_MIB,
          detail: `${after.rssMiB.toFixed(1)} MiB after, ${peak.toFixed(1)} MiB peak (start ${warm.rssMiB.toFixed(1)} MiB)`,
        },
        {
          name: 'memory: back near the start after the tokens expired',
          met: near(final),
          detail: `RSS ${final.rssMiB.toFixed(1)} MiB after the trickle (${expiredIdle.rssMiB.toFixed(1)} MiB before it) vs ${warm.rssMiB.toFixed(1)} MiB at the start (near = within max(25 %, 32 MiB)); V8 heap used ${final.heapUsedMiB.toFixed(1)} MiB vs ${warm.heapUsedMiB.toFixed(1)} MiB`,
        },
      ],
    };
    printReport(report);
    writeBenchReport(report);
  } catch (e) {
    process.stderr.write(`bench:memory failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    broke = true;
  } finally {
    await load?.close();
    await orders?.stop().catch(() => undefined);
    await issuer?.close();
    await unseed?.().catch(() => undefined);
    await db.drop();
  }
  process.exit(broke ? 1 : 0);
}

void main();
