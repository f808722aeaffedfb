import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RoundRobin } from '../../tools/topology/round-robin.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A replica stand-in that answers its own name and records what reached it. */
async function replica(name: string, seen: Seen[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(name);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// The topology's balancer (tools/topology/round-robin.ts) over real sockets: per request, in turn,
// and transparent — the gateway's proved X-Forwarded-For must reach auth as the gateway sent it.
describe('the topology round-robin (e2e: real sockets)', () => {
  const seen: Seen[] = [];
  let a: Awaited<ReturnType<typeof replica>>;
  let b: Awaited<ReturnType<typeof replica>>;
  let rr: RoundRobin;

  beforeAll(async () => {
    [a, b] = await Promise.all([replica('a', seen), replica('b', seen)]);
    rr = await RoundRobin.start('test', 0);
  });
  afterAll(async () => {
    await rr?.close();
    for (const r of [a, b]) await new Promise((done) => r?.server.close(done));
  });

  it('answers 503 until it has a replica', async () => {
    const res = await fetch(`${rr.url}/x`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('sends each request to the next replica, kept-alive connection or not', async () => {
    rr.setUpstreams([a.url, b.url]);
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push(await (await fetch(`${rr.url}/health/live`)).text());
    expect(names).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('passes method, path, query, headers and a form body through unchanged, adding no X-Forwarded-For', async () => {
    seen.length = 0;
    const res = await fetch(`${rr.url}/oauth/token?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '198.51.100.7', 'x-proof': 'p' },
      body: 'grant_type=client_credentials&audience=profiles',
    });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/oauth/token?x=1', body: 'grant_type=client_credentials&audience=profiles' });
    expect(seen[0]!.headers).toMatchObject({ 'x-forwarded-for': '198.51.100.7', 'x-proof': 'p' });
  });
});
