/**
 * The load generator: autocannon's API in a process of its own (forked by `LoadClient`), so the
 * client neither shares an event loop with the servers nor runs in the bench's process. One run at
 * a time: GET `url` on `connections` keep-alive connections (one request in flight on each), each
 * request carrying the next token of the current set (a request generator rotating Authorization
 * headers). The parent may swap the token set or stop the run while it is going.
 *
 * Every response is tallied under `<phase>|<kid>`: the phase the parent last named when the answer
 * came, and the `kid` of the token it was sent with (with one request in flight per connection,
 * autocannon reports a response before building the connection's next request, so the
 * connection's context still names the token that was sent). The rotation bench reads that to
 * count a revoked key's tokens, answered after the revocation began, apart from fresh ones.
 */
import autocannon from 'autocannon';
import type { LoadJob, LoadMessage, LoadSummary, KidTally } from './load-protocol.js';

interface Entry {
  readonly headers: Readonly<Record<string, string>>;
  readonly kid: string;
}

let entries: Entry[] = [];
let next = 0;
let running: autocannon.Instance | undefined;
let phase = 'run';

function kidOf(token: string): string {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString()) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : '?';
  } catch {
    return '?';
  }
}

function setTokens(tokens: readonly string[]): void {
  if (tokens.length === 0) return; // keep the last set: a run never goes without a token
  entries = tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` }, kid: kidOf(t) }));
  next = 0;
}

function run(job: LoadJob): void {
  if (job.headerSets !== undefined && job.headerSets.length > 0) {
    entries = job.headerSets.map((headers) => ({ headers, kid: kidOf((headers.authorization ?? '').replace(/^\S+ /, '')) }));
    next = 0;
  } else setTokens(job.tokens);
  phase = 'run';
  const byKid: Record<string, KidTally> = {};
  let generated = 0;
  const instance = autocannon(
    {
      url: job.url,
      connections: job.connections,
      pipelining: 1,
      duration: job.durationSeconds,
      ...(job.amount === undefined ? {} : { amount: job.amount }),
      timeout: 10,
      requests: [
        {
          method: 'GET',
          setupRequest: (request, context) => {
            const entry = entries[next++ % entries.length]!;
            generated++;
            (context as { kid?: string }).kid = entry.kid;
            return { ...request, headers: { ...request.headers, ...entry.headers } };
          },
          onResponse: (status, _body, context) => {
            const kid = (context as { kid?: string }).kid ?? '?';
            const tally = (byKid[`${phase}|${kid}`] ??= { ok: 0, failed: 0, statuses: {} });
            if (status >= 200 && status < 300) tally.ok++;
            else {
              tally.failed++;
              tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
            }
          },
        },
      ],
    },
    (err, result) => {
      running = undefined;
      if (err) {
        process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies LoadMessage);
        return;
      }
      const summary: LoadSummary = {
        responses: result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'],
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        durationSeconds: result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        maxMs: result.latency.max,
        byKid,
        generated,
      };
      process.send?.({ type: 'done', summary } satisfies LoadMessage);
    },
  );
  running = instance;
}

process.on('message', (message: LoadMessage) => {
  switch (message.type) {
    case 'run':
      run(message.job);
      break;
    case 'tokens':
      setTokens(message.tokens);
      break;
    case 'phase':
      phase = message.name;
      break;
    case 'stop':
      running?.stop();
      break;
    case 'exit':
      process.exit(0);
      break;
    default:
      break;
  }
});
process.send?.({ type: 'ready' } satisfies LoadMessage);
