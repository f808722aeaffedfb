/**
 * RS256-2048 signing under a closed loop of `concurrency` requests in flight, the way a server's
 * token endpoint meets it: each loop yields to the event loop (setImmediate, as an incoming request
 * would) and then signs one auth-shaped JWS signing input. A synchronous sign therefore holds every
 * other request in flight for its whole duration (its latency grows with the queue), while an
 * asynchronous one hands the RSA work to libuv's thread pool (UV_THREADPOOL_SIZE threads).
 *
 * Used by `sign.bench` (the table of decision 009) and `issue.bench` (the bare ceiling).
 */
import { generateKeyPairSync, randomUUID, sign, webcrypto, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export const SIGN_METHODS = ['crypto.sign sync', 'crypto.sign callback', 'subtle.sign', 'jose SignJWT'] as const;
export type SignMethod = (typeof SIGN_METHODS)[number];
/** What auth signs with (apps/auth/src/tokens/jws-signer.ts, decision 009). */
export const AUTH_SIGN_METHOD: SignMethod = 'crypto.sign callback';

export interface SignRound {
  readonly method: SignMethod;
  readonly concurrency: number;
  readonly signaturesPerSecond: number;
  /** Every request's latency of the round, ms (queue wait included). */
  readonly latenciesMs: number[];
}

interface Keys {
  readonly privateKey: KeyObject;
  readonly cryptoKey: webcrypto.CryptoKey;
  readonly inputs: readonly Buffer[];
}

/** A fresh 2048-bit key (never written anywhere) and 64 signing inputs shaped like auth's tokens. */
export async function signKeys(): Promise<Keys> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cryptoKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'bench' })).toString('base64url');
  const inputs = Array.from({ length: 64 }, () => {
    const claims = { client_id: 'orders', scope: 'profiles:read', iss: 'http://auth.bench', sub: 'orders', aud: 'profiles' };
    const payload = { ...claims, iat: now, nbf: now, exp: now + 300, jti: randomUUID() };
    return Buffer.from(`${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`);
  });
  return { privateKey, cryptoKey, inputs };
}

function signer(method: SignMethod, keys: Keys): (input: Buffer) => Promise<unknown> {
  const { privateKey, cryptoKey } = keys;
  switch (method) {
    case 'crypto.sign sync':
      return async (input) => sign('sha256', input, privateKey);
    case 'crypto.sign callback':
      return (input) =>
        new Promise((resolve, reject) => sign('sha256', input, privateKey, (err, sig) => (err ? reject(err) : resolve(sig))));
    case 'subtle.sign':
      return (input) => webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', cryptoKey, input);
    case 'jose SignJWT':
      // What auth signed with before decision 009: claims built and encoded by jose, then WebCrypto.
      return () =>
        new SignJWT({ client_id: 'orders', scope: 'profiles:read' })
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'bench' })
          .setIssuer('http://auth.bench')
          .setSubject('orders')
          .setAudience('profiles')
          .setIssuedAt()
          .setNotBefore('0s')
          .setExpirationTime('5m')
          .setJti(randomUUID())
          .sign(privateKey);
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One round: `concurrency` loops sign back to back for `durationMs`. */
export async function signRound(method: SignMethod, concurrency: number, durationMs: number, keys: Keys): Promise<SignRound> {
  const run = signer(method, keys);
  const latenciesMs: number[] = [];
  let n = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await nextTurn();
      await run(keys.inputs[n++ & 63]!);
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = performance.now() - started;
  return { method, concurrency, signaturesPerSecond: (latenciesMs.length * 1000) / elapsed, latenciesMs };
}

/** The `p`-th percentile (0–100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** What a child process measures: every method × concurrency, interleaved over `rounds`. */
export interface SignJob {
  readonly methods: readonly SignMethod[];
  readonly concurrency: readonly number[];
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmupMs: number;
}

export interface SignSeries {
  readonly method: SignMethod;
  readonly concurrency: number;
  readonly threadPool: number;
  /** Signatures/s of each measured round. */
  readonly rates: number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Runs `job` in this process (the child side of `measureSigning`). */
export async function runSignJob(job: SignJob): Promise<SignSeries[]> {
  const keys = await signKeys();
  const threadPool = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const combos = job.methods.flatMap((method) => job.concurrency.map((concurrency) => ({ method, concurrency })));
  for (const c of combos) await signRound(c.method, c.concurrency, job.warmupMs, keys); // JIT, key caches
  const rates = combos.map((): number[] => []);
  const latencies = combos.map((): number[] => []);
  for (let r = 0; r < job.rounds; r++) {
    // Rotate the order so drifting machine load hits every combination alike.
    for (let k = 0; k < combos.length; k++) {
      const i = (k + r) % combos.length;
      const round = await signRound(combos[i]!.method, combos[i]!.concurrency, job.roundMs, keys);
      rates[i]!.push(round.signaturesPerSecond);
      for (const l of round.latenciesMs) latencies[i]!.push(l);
    }
  }
  return combos.map((c, i) => ({
    ...c,
    threadPool,
    rates: rates[i]!,
    p50Ms: percentile(latencies[i]!, 50),
    p99Ms: percentile(latencies[i]!, 99),
  }));
}

/**
 * Measures `job` in a child process of its own with UV_THREADPOOL_SIZE=`threadPool` (libuv reads
 * it once, when the pool first starts, so it cannot change inside a running process).
 */
export async function measureSigning(threadPool: number, job: SignJob): Promise<SignSeries[]> {
  const { execFile } = await import('node:child_process');
  const script = new URL('../sign.bench.js', import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script.pathname],
      { env: { ...process.env, UV_THREADPOOL_SIZE: String(threadPool), BENCH_SIGN_JOB: JSON.stringify(job), BENCH_REPORT: '' } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`sign child failed: ${stderr || err.message}`));
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(last) as SignSeries[]);
        } catch {
          reject(new Error(`sign child printed no result: ${stdout.slice(-500)}`));
        }
      },
    );
  });
}
