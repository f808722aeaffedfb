import Fastify from 'fastify';
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

// The topology's balancer (tools/topology/round-robin.ts) over real sockets: per request, in turn;
// in front of auth/orders/profiles transparent — the gateway's proved X-Forwarded-For must reach
// auth as the gateway sent it — and in front of the gateways (the edge) the one that sets it.
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

  it('in front of a service: passes method, path, query, headers and a form body through unchanged, X-Forwarded-For and its proof included', async () => {
    seen.length = 0;
    const res = await fetch(`${rr.url}/oauth/token?x=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': '198.51.100.7',
        'x-authmesh-forwarded-for-proof': 'p',
      },
      body: 'grant_type=client_credentials&audience=profiles',
    });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/oauth/token?x=1', body: 'grant_type=client_credentials&audience=profiles' });
    expect(seen[0]!.headers).toMatchObject({ 'x-forwarded-for': '198.51.100.7', 'x-authmesh-forwarded-for-proof': 'p' });
  });

  describe('in front of the gateways (the edge, the first hop)', () => {
    let edge: RoundRobin;
    beforeAll(async () => {
      edge = await RoundRobin.start('gateway', 0, { edge: true });
      edge.setUpstreams([a.url]);
    });
    afterAll(() => edge?.close());

    it('replaces a client-sent X-Forwarded-For with the peer address (not appended), and sets it when none was sent', async () => {
      seen.length = 0;
      const sent: (string | undefined)[] = ['198.51.100.7', '203.0.113.9, 198.51.100.7', '2001:db8::1', undefined];
      for (const xff of sent) {
        const res = await fetch(`${edge.url}/auth/login`, { method: 'POST', headers: xff ? { 'x-forwarded-for': xff } : {}, body: 'x' });
        expect(res.status).toBe(200);
      }
      // The test's client is on 127.0.0.1: that is what the balancer saw, so that is all it says.
      expect(seen.map((s) => s.headers['x-forwarded-for'])).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1']);
      expect(seen.map((s) => [s.method, s.url, s.body])).toEqual(sent.map(() => ['POST', '/auth/login', 'x']));
    });

    it('so a gateway trusting its balancer (TRUST_PROXY=127.0.0.1) sees the peer, not a forged address; the transparent one would not', async () => {
      // Fastify resolves request.ip from trustProxy exactly as the gateway does (its TRUST_PROXY is
      // passed to Fastify's `trustProxy`); the gateway keys its budgets on clientKeyOf(request.ip).
      const gateway = Fastify({ trustProxy: ['127.0.0.1'] });
      gateway.post('/auth/login', async (request) => request.ip);
      await gateway.listen({ port: 0, host: '127.0.0.1' });
      const transparent = await RoundRobin.start('service', 0);
      try {
        const url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
        edge.setUpstreams([url]);
        transparent.setUpstreams([url]);
        const forged = { method: 'POST', headers: { 'x-forwarded-for': '2001:db8:1:2::7' }, body: 'x' };
        expect(await (await fetch(`${edge.url}/auth/login`, forged)).text()).toBe('127.0.0.1');
        // Why the edge must rewrite it: passed through, a forged header picks the budget (and its /64).
        expect(await (await fetch(`${transparent.url}/auth/login`, forged)).text()).toBe('2001:db8:1:2::7');
      } finally {
        edge.setUpstreams([a.url]);
        await transparent.close();
        await gateway.close();
      }
    });
  });
});
