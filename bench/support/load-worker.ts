/**
 * A closed-loop HTTP load generator in a worker thread, so the client does not share the event
 * loop (or the core) of the services under test: `concurrency` keep-alive connections each send
 * GET <url> with the bearer token back to back for `durationMs`. Node built-ins only.
 */
import { Agent, request } from 'node:http';
import { parentPort } from 'node:worker_threads';

interface Job {
  url: string;
  token: string;
  concurrency: number;
  durationMs: number;
}

export interface LoadResult {
  ok: number;
  errors: number;
  elapsedMs: number;
  /** Response time percentiles of this run, ms. */
  p50Ms: number;
  p99Ms: number;
}

function once(agent: Agent, url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function run(job: Job): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  let ok = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + job.durationMs;
  const loop = async (): Promise<void> => {
    for (let sent = performance.now(); sent < deadline; sent = performance.now()) {
      const status = await once(agent, job.url, job.token);
      latencies.push(performance.now() - sent);
      if (status === 200) ok++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] ?? Number.NaN;
  return { ok, errors, elapsedMs, p50Ms: at(0.5), p99Ms: at(0.99) };
}

parentPort?.on('message', (job: Job | 'exit') => {
  if (job === 'exit') {
    parentPort?.close();
    return;
  }
  void run(job).then((result) => parentPort?.postMessage(result));
});
