import {
  ClientCredentialsTokenSource,
  DpopKey,
  ServiceHttpClient,
  ServiceUnreachableError,
  TokenFetchError,
  httpTokenFetcher,
} from '@authmesh/service-auth';
import { freePort } from '@authmesh/testing';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A real HTTP server on a free port whose behaviour each test sets. */
class StubServer {
  readonly requests: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  handler: Handler = (_req, _body, res) => res.end();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<StubServer> {
    const server = createServer();
    const stub = new StubServer(server);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        stub.requests.push({ method: req.method, url: req.url, headers: req.headers, body });
        stub.handler(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('service-auth over real sockets', () => {
  let auth: StubServer;
  let callee: StubServer;
  let issued: number;
  const clients: ServiceHttpClient[] = [];

  beforeEach(async () => {
    issued = 0;
    auth = await StubServer.start();
    auth.handler = (_req, _body, res) => json(res, 200, { access_token: `tok-${++issued}`, expires_in: 300, token_type: 'Bearer' });
    callee = await StubServer.start();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await auth.close();
    await callee.close();
  });

  function newClient(timeoutMs = 1000, baseUrl = callee.url): { client: ServiceHttpClient; tokens: ClientCredentialsTokenSource } {
    const tokens = new ClientCredentialsTokenSource({
      tokenUrl: `${auth.url}/oauth/token`,
      clientId: 'orders',
      clientSecret: 's3cret:with/odd chars',
      audience: 'profiles',
      retry: { attempts: 2, baseDelayMs: 10 },
    });
    const client = new ServiceHttpClient({ baseUrl, tokens, timeoutMs });
    clients.push(client);
    return { client, tokens };
  }

  it('fetches the token with HTTP Basic and a client_credentials form naming the audience', async () => {
    callee.handler = (_req, _body, res) => json(res, 200, {});
    await newClient().client.request({ path: '/x' });
    const tokenCall = auth.requests[0]!;
    expect(tokenCall.method).toBe('POST');
    expect(tokenCall.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const [id, secret] = Buffer.from(tokenCall.headers.authorization!.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    expect([decodeURIComponent(id!), decodeURIComponent(secret!)]).toEqual(['orders', 's3cret:with/odd chars']);
    expect(Object.fromEntries(new URLSearchParams(tokenCall.body))).toEqual({ grant_type: 'client_credentials', audience: 'profiles' });
  });

  it('attaches the bearer token and propagates x-request-id, reusing the cached token', async () => {
    callee.handler = (_req, _body, res) => json(res, 200, { ok: true });
    const { client } = newClient();
    const res = await client.request({ path: '/profiles/u1', requestId: 'req-123' });
    await client.request({ path: '/profiles/u2', requestId: 'req-456' });
    expect(res).toMatchObject({ status: 200, body: { ok: true } });
    expect(callee.requests.map((r) => [r.url, r.headers.authorization, r.headers['x-request-id']])).toEqual([
      ['/profiles/u1', 'Bearer tok-1', 'req-123'],
      ['/profiles/u2', 'Bearer tok-1', 'req-456'],
    ]);
    expect(auth.requests).toHaveLength(1);
  });

  it('on a 401 from the callee, refreshes the token once and retries once', async () => {
    callee.handler = (req, _body, res) => (req.headers.authorization === 'Bearer tok-1' ? json(res, 401, {}) : json(res, 200, { ok: 1 }));
    const res = await newClient().client.request({ path: '/p' });
    expect(res.status).toBe(200);
    expect(callee.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(auth.requests).toHaveLength(2);
  });

  it('returns the second 401 instead of looping', async () => {
    callee.handler = (_req, _body, res) => json(res, 401, { code: 'token_revoked' });
    const res = await newClient().client.request({ path: '/p' });
    expect(res).toMatchObject({ status: 401, body: { code: 'token_revoked' } });
    expect(callee.requests).toHaveLength(2);
    expect(auth.requests).toHaveLength(2);
  });

  it('gives up after the timeout with a ServiceUnreachableError (reason timeout)', async () => {
    callee.handler = () => undefined; // never answers
    const started = Date.now();
    const err = await newClient(200)
      .client.request({ path: '/slow' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnreachableError);
    expect(err).toMatchObject({ code: 'service_unreachable', reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports a refused connection as a ServiceUnreachableError (reason network)', async () => {
    const err = await newClient(500, `http://127.0.0.1:${await freePort()}`)
      .client.request({ path: '/' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'service_unreachable', reason: 'network' });
  });

  it('does not retry a token request the server refused as invalid_client; retries a 503', async () => {
    auth.handler = (_req, _body, res) => json(res, 401, { error: 'invalid_client' });
    const fetcher = httpTokenFetcher({ timeoutMs: 1000 });
    const req = { tokenUrl: `${auth.url}/oauth/token`, clientId: 'orders', clientSecret: 'wrong', audience: 'profiles' };
    await expect(fetcher(req)).rejects.toMatchObject({ status: 401, retryable: false });

    auth.handler = (_req, _body, res) => json(res, 503, { error: 'temporarily_unavailable' });
    const err = await fetcher(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenFetchError);
    expect(err).toMatchObject({ status: 503, retryable: true });

    // The token source retries the 503 (2 attempts here) before giving up.
    const before = auth.requests.length;
    await expect(newClient().client.request({ path: '/' })).rejects.toBeInstanceOf(TokenFetchError);
    expect(auth.requests.length - before).toBe(2);
  });
  describe('DPoP (RFC 9449)', () => {
    let key: DpopKey;
    beforeEach(async () => {
      key = await DpopKey.generate();
    });
    function dpopClient(): ServiceHttpClient {
      const tokens = new ClientCredentialsTokenSource({
        tokenUrl: `${auth.url}/oauth/token?x=1`,
        clientId: 'orders',
        clientSecret: 's3cret',
        audience: 'profiles',
        dpop: key,
        retry: { attempts: 1 },
      });
      const client = new ServiceHttpClient({ baseUrl: callee.url, tokens, timeoutMs: 1000, dpop: key });
      clients.push(client);
      return client;
    }
    const nowS = (): number => Math.floor(Date.now() / 1000);
    /** The proof's signature under its own jwk and its claims (service-auth may not import the verifier lib). */
    async function verifyDpopProof(
      proof: string,
      expect_: { method: string; url: string; nowS: number; accessToken?: string; expectedJkt?: string },
    ): Promise<{ jkt: string; jti: string }> {
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
      const jkt = await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256');
      expect(payload).toMatchObject({ htm: expect_.method, htu: expect_.url, jti: expect.any(String) });
      expect(Math.abs((payload.iat ?? 0) - expect_.nowS)).toBeLessThan(5);
      if (expect_.accessToken) expect(payload.ath).toBe(createHash('sha256').update(expect_.accessToken).digest('base64url'));
      if (expect_.expectedJkt) expect(jkt).toBe(expect_.expectedJkt);
      return { jkt, jti: payload.jti! };
    }

    it('sends a fresh proof with each token request and each call, with ath, under the DPoP scheme', async () => {
      callee.handler = (_req, _body, res) => json(res, 200, {});
      const client = dpopClient();
      await client.request({ path: '/profiles/u1?full=1', method: 'POST' });
      await client.request({ path: '/profiles/u1' });
      const tokenProof = await verifyDpopProof(auth.requests[0]!.headers.dpop as string, {
        method: 'POST',
        url: `${auth.url}/oauth/token`,
        nowS: nowS(),
        expectedJkt: key.jkt,
      });
      expect(tokenProof.jkt).toBe(key.jkt);
      const [first, second] = callee.requests;
      expect(first!.headers.authorization).toBe('DPoP tok-1');
      const callProof = await verifyDpopProof(first!.headers.dpop as string, {
        method: 'POST',
        url: `${callee.url}/profiles/u1`,
        accessToken: 'tok-1',
        expectedJkt: key.jkt,
        nowS: nowS(),
      });
      const secondProof = await verifyDpopProof(second!.headers.dpop as string, {
        method: 'GET',
        url: `${callee.url}/profiles/u1`,
        accessToken: 'tok-1',
        nowS: nowS(),
      });
      expect(secondProof.jti).not.toBe(callProof.jti);
    });

    it("retries a token request once with the server's nonce on use_dpop_nonce, and keeps using that nonce", async () => {
      auth.handler = (req, _body, res) => {
        const proof = JSON.parse(Buffer.from(String(req.headers.dpop).split('.')[1]!, 'base64url').toString()) as { nonce?: string };
        if (proof.nonce !== 'n-1') {
          res.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': 'n-1' });
          res.end(JSON.stringify({ error: 'use_dpop_nonce' }));
        } else json(res, 200, { access_token: `tok-${++issued}`, expires_in: 300, token_type: 'DPoP' });
      };
      callee.handler = (_req, _body, res) => json(res, 200, {});
      const fetcher = httpTokenFetcher({ timeoutMs: 1000 });
      const req = { tokenUrl: `${auth.url}/oauth/token`, clientId: 'orders', clientSecret: 's', audience: 'profiles', dpop: key };
      await expect(fetcher(req)).resolves.toMatchObject({ accessToken: 'tok-1', tokenType: 'DPoP' });
      expect(auth.requests).toHaveLength(2);
      await fetcher(req);
      expect(auth.requests).toHaveLength(3);
    });

    it('gives up after one nonce retry when the server keeps refusing', async () => {
      let n = 0;
      auth.handler = (_req, _body, res) => {
        res.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': `n-${++n}` });
        res.end(JSON.stringify({ error: 'use_dpop_nonce' }));
      };
      const fetcher = httpTokenFetcher({ timeoutMs: 1000 });
      const req = { tokenUrl: `${auth.url}/oauth/token`, clientId: 'orders', clientSecret: 's', audience: 'profiles', dpop: key };
      await expect(fetcher(req)).rejects.toMatchObject({ status: 400, retryable: false });
      expect(auth.requests).toHaveLength(2);
    });

    it('retries a call once with the callee nonce on 401 use_dpop_nonce, without a new token', async () => {
      callee.handler = (req, _body, res) => {
        const proof = JSON.parse(Buffer.from(String(req.headers.dpop).split('.')[1]!, 'base64url').toString()) as { nonce?: string };
        if (proof.nonce === 'rs-nonce') return json(res, 200, { ok: true });
        res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': 'rs-nonce' });
        res.end('{}');
      };
      const res = await dpopClient().request({ path: '/p' });
      expect(res).toMatchObject({ status: 200, body: { ok: true } });
      expect(callee.requests.map((r) => r.headers.authorization)).toEqual(['DPoP tok-1', 'DPoP tok-1']);
      expect(auth.requests).toHaveLength(1);
    });
  });
});
