/**
 * HTTP load from autocannon in a process of its own (never the server's): `runHttpLoad(job)` starts
 * `node dist/bench/support/http-load.js` with the job in BENCH_LOAD_JOB, which runs autocannon for
 * `durationS` and prints its figures as JSON.
 *
 * Every request is a POST with a form body. A job gives either one `body` for all requests, or
 * `bodies` to take in turn (distinct accounts for logins), or an `assertion` recipe: then each
 * request carries its own RFC 7523 client assertion (a fresh `jti`, which the server refuses on
 * replay). Assertions are signed before the clock starts (ES256, ~50 µs each) so the load process
 * spends its core on sending, not on signing; past the pre-signed pool they are signed on the fly.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type autocannon from 'autocannon';

export interface AssertionRecipe {
  readonly clientId: string;
  /** The token endpoint URL as the server names it (RFC 7523 §3: `aud`). */
  readonly audience: string;
  readonly kid: string;
  /** PKCS#8 PEM of the client's P-256 key (generated per run, never written to disk). */
  readonly privateKeyPem: string;
  /** Assertions to sign before the round starts. */
  readonly pool: number;
  /** Form fields sent with each assertion (grant_type, scope…). */
  readonly fields: Readonly<Record<string, string>>;
}

export interface HttpLoadJob {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly bodies?: readonly string[];
  readonly assertion?: AssertionRecipe;
}

export interface HttpLoadResult {
  /** 2xx answers per second over the whole round. */
  readonly okPerSecond: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Status → count of the non-2xx answers (what refused them). */
  readonly statuses: Readonly<Record<string, number>>;
}

/** An RFC 7523 §3 client assertion for `private_key_jwt` (OpenID Connect Core §9). */
export function clientAssertion(recipe: Omit<AssertionRecipe, 'pool' | 'fields'>, key = createPrivateKey(recipe.privateKeyPem)): string {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: recipe.kid })).toString('base64url');
  const claims = { iss: recipe.clientId, sub: recipe.clientId, aud: recipe.audience, iat: now, exp: now + 120, jti: randomUUID() };
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  // JWS ES256 is the raw r||s signature (RFC 7518 §3.4), not DER.
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${input}.${signature}`;
}

export function assertionBody(recipe: AssertionRecipe, assertion: string): string {
  return new URLSearchParams({
    ...recipe.fields,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  }).toString();
}

/** Runs `job` in a child process and returns what it measured. */
export function runHttpLoad(job: HttpLoadJob): Promise<HttpLoadResult> {
  const script = new URL('./http-load.js', import.meta.url).pathname;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, BENCH_LOAD_JOB: JSON.stringify(job), BENCH_REPORT: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`load process exited ${code}`));
      try {
        resolve(JSON.parse(last) as HttpLoadResult);
      } catch {
        reject(new Error(`load process printed no result: ${stdout.slice(-300)}`));
      }
    });
  });
}

async function child(job: HttpLoadJob): Promise<HttpLoadResult> {
  const { default: load } = await import('autocannon');
  let next: () => string;
  if (job.assertion) {
    const recipe = job.assertion;
    const key = createPrivateKey(recipe.privateKeyPem);
    const pool = Array.from({ length: recipe.pool }, () => assertionBody(recipe, clientAssertion(recipe, key)));
    let i = 0;
    next = () => (i < pool.length ? pool[i++]! : assertionBody(recipe, clientAssertion(recipe, key)));
  } else if (job.bodies && job.bodies.length > 0) {
    const bodies = job.bodies;
    let i = 0;
    next = () => bodies[i++ % bodies.length]!;
  } else {
    const body = job.body ?? '';
    next = () => body;
  }
  const statuses: Record<string, number> = {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = load(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationS,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...job.headers },
        requests: [{ setupRequest: (req) => ({ ...req, body: next() }) }],
      },
      (err, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    instance.on('response', (_client, status) => {
      if (status < 200 || status >= 300) statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
  return {
    okPerSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statuses,
  };
}

const job = process.env.BENCH_LOAD_JOB;
if (job && process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  child(JSON.parse(job) as HttpLoadJob).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`load failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
