import type { TestApp } from '@authmesh/testing';
import { decodeJwt } from 'jose';
import { requestsServed } from '@authmesh/testing';
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request } from 'undici';
import { Browser } from './support/browser.js';
import {
  PASSWORD,
  RecordingProxy,
  RecordingUpstream,
  type SeenRequest,
  call,
  deadUrl,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
} from './support/gateway-fixture.js';

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

// The gateway in front of real auth and a recording upstream standing in for orders (to see exactly
// what an upstream receives), plus a profiles URL where nothing listens.
describe('gateway routing (e2e)', () => {
  let auth: TestApp;
  let upstream: RecordingUpstream;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let token: string;

  beforeAll(async () => {
    auth = await startAuth();
    upstream = await RecordingUpstream.start();
    gateway = await startGateway(
      { auth, ordersUrl: upstream.url, profilesUrl: await deadUrl() },
      { GATEWAY_UPSTREAM_TIMEOUT_MS: '500', GATEWAY_CORS_ORIGINS: 'https://app.example' },
    );
    token = (await loginAt(auth.url, await registerUser(auth.url, 'routing'))).access_token;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await auth?.close();
  });

  const lastSeen = (): SeenRequest => upstream.seen[upstream.seen.length - 1]!;

  it('strips /api from /api/orders/… and keeps the query', async () => {
    const res = await call(`${gateway.url}/api/orders/42?expand=items&x=1`, { token });
    expect(res.status).toBe(200);
    expect(lastSeen()).toMatchObject({ method: 'GET', url: '/orders/42?expand=items&x=1' });
  });

  it('routes /api/orders itself to /orders', async () => {
    expect((await call(`${gateway.url}/api/orders`, { token })).status).toBe(200);
    expect(lastSeen().url).toBe('/orders');
  });

  it('forwards a token exchanged for orders alone, never the user’s own (exchange is the default)', async () => {
    await call(`${gateway.url}/api/orders/1`, { token });
    const forwarded = lastSeen().headers.authorization!;
    expect(forwarded).not.toBe(`Bearer ${token}`);
    expect(decodeJwt(forwarded.replace(/^Bearer /, ''))).toMatchObject({ aud: ['orders'], act: { sub: 'gateway' } });
  });

  it('propagates the caller’s x-request-id to the upstream and back', async () => {
    const res = await call(`${gateway.url}/api/orders/1`, { token, headers: { 'x-request-id': 'trace-abc.123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(lastSeen().headers['x-request-id']).toBe('trace-abc.123');
  });

  it('generates an x-request-id when none is sent and gives the upstream the same one', async () => {
    const res = await call(`${gateway.url}/api/orders/1`, { token });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastSeen().headers['x-request-id']).toBe(id);
  });

  it('sets x-forwarded-for/-proto/-host and drops what the client claimed (no proxy is trusted)', async () => {
    await call(`${gateway.url}/api/orders/1`, {
      token,
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'evil.example', forwarded: 'for=203.0.113.9' },
    });
    const h = lastSeen().headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(new URL(gateway.url).host);
    expect(h.forwarded).toBeUndefined();
  });

  it('sends the gateway’s public host and proto as X-Forwarded-Host/-Proto, never the client’s Host header', async () => {
    // node:http, not fetch: fetch does not let a caller choose Host.
    const res = await rawGet(`${gateway.url}/api/orders/1`, { authorization: `Bearer ${token}`, host: 'evil.example' });
    expect(res.status).toBe(200);
    const h = lastSeen().headers;
    expect(h['x-forwarded-host']).toBe(new URL(gateway.origin).host);
    expect(h['x-forwarded-proto']).toBe('http');
  });

  it('drops the client’s X-Real-IP, X-Forwarded-Port and X-Forwarded-Prefix (only the gateway speaks about the client)', async () => {
    const res = await call(`${gateway.url}/api/orders/1`, {
      token,
      headers: { 'x-real-ip': '203.0.113.9', 'x-forwarded-port': '8443', 'x-forwarded-prefix': '/evil', 'true-client-ip': '203.0.113.9' },
    });
    expect(res.status).toBe(200);
    const h = lastSeen().headers;
    for (const name of ['x-real-ip', 'x-forwarded-port', 'x-forwarded-prefix', 'true-client-ip']) expect(h[name]).toBeUndefined();
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('removes hop-by-hop headers (RFC 9110 §7.6.1), including those named by Connection', async () => {
    // node:http, not fetch/undici: those refuse to send hop-by-hop fields at all.
    const res = await rawGet(`${gateway.url}/api/orders/1`, {
      authorization: `Bearer ${token}`,
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'only for the first hop',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      upgrade: 'h2c',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'x-end-to-end': 'kept',
    });
    expect(res.status).toBe(200);
    const h = lastSeen().headers;
    for (const name of ['x-hop-secret', 'keep-alive', 'te', 'upgrade', 'proxy-authorization']) expect(h[name]).toBeUndefined();
    expect(h['x-end-to-end']).toBe('kept');
    // …and from the upstream's response (its Keep-Alive: timeout=5 concerns its connection with
    // the gateway; the client sees at most the gateway's own, for the client's connection).
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    expect(res.headers['x-upstream']).toBe('recording');
  });

  it('never forwards the session cookie, but keeps the client’s other cookies', async () => {
    await call(`${gateway.url}/api/orders/1`, { token, headers: { cookie: 'theme=dark; authmesh_session=abc; lang=fr' } });
    expect(lastSeen().headers.cookie).toBe('theme=dark; lang=fr');
    await call(`${gateway.url}/api/orders/1`, { token, headers: { cookie: 'authmesh_session=abc' } });
    expect(lastSeen().headers.cookie).toBeUndefined();
  });

  it('streams a request body larger than the JSON body limit to the upstream', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'a');
    const res = await request(`${gateway.url}/api/orders/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as SeenRequest).bodyBytes).toBe(body.length);
  });

  it('answers 504 upstream_timeout as JSON when the upstream does not answer in time', async () => {
    const res = await call(`${gateway.url}/api/orders/hang`, { token });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ code: 'upstream_timeout', requestId: res.headers.get('x-request-id') });
  });

  it('answers 502 upstream_unavailable as JSON when nothing listens upstream', async () => {
    const res = await call(`${gateway.url}/api/profiles/me`, { token });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'upstream_unavailable', requestId: expect.any(String) });
  });

  it('routes /.well-known/* and /oauth/* to auth unchanged', async () => {
    const jwks = await call<{ keys: unknown[] }>(`${gateway.url}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys.length).toBeGreaterThan(0);
    const token = await call(`${gateway.url}/oauth/token`, { body: { grant_type: 'password' } });
    expect(token.status).toBe(400);
    expect(token.body).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('does not proxy the password-taking /auth routes (404, nothing reaches auth), and passes bearer-less verify-email and unlock', async () => {
    const email = `via-gw-${Date.now()}@example.com`;
    const paths = ['/auth/register', '/auth/login', '/auth/password', '/auth/admin-token'];
    const before = await Promise.all(paths.map((p) => requestsServed(auth.managementUrl, 'POST', p)));
    for (const path of paths) {
      const res = await call(`${gateway.url}${path}`, { body: { email, password: 'a long enough passphrase' } });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    expect(await Promise.all(paths.map((p) => requestsServed(auth.managementUrl, 'POST', p)))).toEqual(before);
    // Auth's own answer to a bad token: the request reached it.
    for (const path of ['/auth/verify-email', '/auth/unlock']) {
      const res = await call(`${gateway.url}${path}`, { body: { token: 'not-a-token' } });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).not.toBe(404);
    }
  });

  it('keeps its own /health/live, and /health/ready and /metrics on its management listener', async () => {
    expect((await call(`${gateway.url}/health/live`)).status).toBe(200);
    const ready = await call(`${gateway.managementUrl}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await fetch(`${gateway.managementUrl}/metrics`);
    expect(await metrics.text()).toMatch(/http_requests_total\{[^}]*route="\/api\/orders\/\*"/);
  });

  // Behind a load balancer (TRUST_PROXY=127.0.0.1): the gateway resolves the client from the
  // balancer's X-Forwarded-For and tells every upstream (auth too) exactly that one address, so an
  // upstream trusting only the gateway sees the client, never the balancer.
  describe('behind a trusted proxy', () => {
    let behind: Awaited<ReturnType<typeof startGateway>>;
    let authSpy: RecordingProxy;

    beforeAll(async () => {
      authSpy = await RecordingProxy.start(auth.url);
      behind = await startGateway(
        { auth, ordersUrl: upstream.url, profilesUrl: await deadUrl() },
        { TRUST_PROXY: '127.0.0.1', AUTH_URL: authSpy.url },
      );
    });
    afterAll(async () => {
      await behind?.close();
      await authSpy?.close();
    });

    it('sends upstream X-Forwarded-For: <the client the gateway resolved>, one address, not the chain', async () => {
      await call(`${behind.url}/api/orders/1`, { token, headers: { 'x-forwarded-for': '203.0.113.5' } });
      expect(lastSeen().headers['x-forwarded-for']).toBe('203.0.113.5');
      // A client-written entry left of what the balancer vouches for is not passed on either.
      await call(`${behind.url}/api/orders/1`, { token, headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.6' } });
      expect(lastSeen().headers['x-forwarded-for']).toBe('203.0.113.6');
    });

    it('sends auth the same single address on the gateway’s own calls (code exchange, revocation at logout)', async () => {
      const browser = new Browser(behind);
      const start = await browser.startLogin('/');
      const callback = await browser.authorize(start.headers.get('location')!, await registerUser(auth.url, 'behind'), PASSWORD);
      // The callback as the balancer forwards it: the code exchange carries the client's address.
      const url = new URL(callback!);
      const finished = await fetch(`${behind.url}${url.pathname}${url.search}`, {
        redirect: 'manual',
        headers: { cookie: `authmesh_login=${browser.loginCookie}`, 'x-forwarded-for': '203.0.113.8' },
      });
      expect(finished.status).toBe(302);
      expect(authSpy.seen.at(-1)!['x-forwarded-for']).toBe('203.0.113.8');
      browser.cookie = /authmesh_session=([^;]+)/.exec(finished.headers.getSetCookie().join(';'))![1];
      browser.csrfToken = (await browser.send<{ csrfToken: string }>('GET', '/session')).body.csrfToken;
      expect((await browser.send('POST', '/session/logout', undefined, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(
        200,
      );
      expect(authSpy.seen.at(-1)!['x-forwarded-for']).toBe('203.0.113.7');
    });
  });

  describe('CORS', () => {
    it('gives an allow-listed origin CORS headers with credentials, and answers its preflight itself', async () => {
      const before = upstream.seen.length;
      const res = await fetch(`${gateway.url}/api/orders`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-csrf-token, content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/x-csrf-token/);
      expect(upstream.seen.length).toBe(before); // the preflight never reached the upstream
      const get = await fetch(`${gateway.url}/api/orders`, {
        headers: { origin: 'https://app.example', authorization: `Bearer ${token}` },
      });
      expect(get.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(get.headers.get('access-control-allow-credentials')).toBe('true');
    });

    it('gives any other origin no CORS headers at all', async () => {
      const pre = await fetch(`${gateway.url}/session`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      const get = await fetch(`${gateway.url}/session`, { headers: { origin: 'https://evil.example' } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
      expect(get.headers.get('access-control-allow-credentials')).toBeNull();
    });
  });
});
