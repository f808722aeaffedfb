import { FORWARDED_FOR_PROOF_HEADER } from '@authmesh/platform';
import type { TestApp } from '@authmesh/testing';
import { request as httpRequest } from 'node:http';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway.config.js';
import {
  RecordingUpstream,
  type SeenRequest,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './support/gateway-fixture.js';

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

async function send(
  url: string,
  init: { method?: string; contentType?: string; body?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.contentType) headers['content-type'] = init.contentType;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A GET with the path sent byte for byte (fetch would normalise an invalid percent-encoding away). */
function rawGet(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The platform's error shape: a stable code, a message and the request's id (echoed in X-Request-Id). */
function expectPlatformShape(res: Answer, status: number, code: string): void {
  expect({ status: res.status, code: res.body.code, message: typeof res.body.message }).toEqual({ status, code, message: 'string' });
  expect(res.body.requestId).toEqual(expect.any(String));
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  // Fastify's raw error format (the review's finding) has statusCode and error; ours never does.
  expect(res.body).not.toHaveProperty('statusCode');
  expect(res.body).not.toHaveProperty('error');
}

/**
 * Issue 12 follow-up: the shared input rules answer in one shape on every route. Refusals on the
 * gateway's proxied routes used to come out in Fastify's raw `{statusCode,code,error,message}`
 * format; proxied /oauth/* now answers like auth itself (RFC 6749 §5.2); an invalid
 * percent-encoding is a 400 `bad_url` in the platform shape; and a client-sent forwarded-for
 * proof never reaches an upstream.
 */
describe('one error shape for the input rules (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let upstream: RecordingUpstream;
  let gateway: TestApp<GatewayConfig>;
  let token: string;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    upstream = await RecordingUpstream.start();
    // A recording upstream stands in for profiles (to see exactly what it receives); orders is real.
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: upstream.url }, { GATEWAY_LOGIN_RATE_PER_MIN: '3' });
    token = (await loginAt(auth.url, await registerUser(auth.url, 'shape'))).access_token;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    await orders?.close();
    await profiles?.close();
    await auth?.close();
  });

  describe('finding 1: proxied routes answer refusals in the platform shape', () => {
    it('POST /auth/logout with text/plain is 415 unsupported_media_type with requestId and Accept-Post', async () => {
      const res = await send(`${gateway.url}/auth/logout`, { contentType: 'text/plain', body: 'x' });
      expectPlatformShape(res, 415, 'unsupported_media_type');
      expect(res.headers.get('accept-post')).toBe('application/json');
    });

    it('GET /api/orders/orders?q=%00 with a valid token is 400 validation_failed naming query.q', async () => {
      const res = await send(`${gateway.url}/api/orders/orders?q=%00`, { method: 'GET', token });
      expectPlatformShape(res, 400, 'validation_failed');
      expect((res.body.details as { fields?: unknown }).fields).toEqual([
        { field: 'query.q', problems: [expect.stringContaining('NUL character')] },
      ]);
    });
  });

  describe('finding 2: proxied /oauth/* takes forms and answers in RFC 6749 §5.2 form', () => {
    it('POST /oauth/token with text/plain is 415 invalid_request, Accept-Post naming the form encoding', async () => {
      const res = await send(`${gateway.url}/oauth/token`, { contentType: 'text/plain', body: 'grant_type=password' });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 415,
        body: { error: 'invalid_request', error_description: expect.any(String) },
      });
      expect(res.headers.get('accept-post')).toBe('application/json, application/x-www-form-urlencoded');
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('a refused string in an /oauth/* query is invalid_request naming the parameter', async () => {
      const res = await send(`${gateway.url}/oauth/token?client_id=%00`, {
        contentType: 'application/x-www-form-urlencoded',
        body: 'grant_type=client_credentials',
      });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { error: 'invalid_request', error_description: expect.stringContaining('query.client_id') },
      });
    });

    it("the gateway's own 429 on /oauth/token is temporarily_unavailable with Retry-After", async () => {
      let res: Answer | undefined;
      for (let i = 0; i < 5; i++) {
        res = await send(`${gateway.url}/oauth/token`, { contentType: 'application/x-www-form-urlencoded', body: 'grant_type=nosuch' });
        if (res.status === 429) break;
      }
      expect({ status: res!.status, body: res!.body }).toEqual({
        status: 429,
        body: { error: 'temporarily_unavailable', error_description: expect.any(String) },
      });
      expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res!.headers.get('cache-control')).toBe('no-store');
    });

    it('the 429 on a non-OAuth login path (GET /session/callback) keeps the platform shape', async () => {
      let res: Answer | undefined;
      for (let i = 0; i < 5; i++) {
        res = await send(`${gateway.url}/session/callback?code=x&state=y`, { method: 'GET', headers: { accept: 'application/json' } });
        if (res.status === 429) break;
      }
      expectPlatformShape(res!, 429, 'rate_limited');
    });
  });

  describe('finding 3: an invalid percent-encoding is 400 bad_url in the platform shape, in every app', () => {
    it.each([
      ['orders', () => orders.url, '/orders/%ff'],
      ['profiles', () => profiles.url, '/profiles/%ff'],
      ['auth', () => auth.url, '/auth/%ff'],
      ['the gateway', () => gateway.url, '/api/orders/%ff'],
    ])('%s', async (_name, url, path) => {
      const res = await rawGet(url(), path);
      expect({ status: res.status, code: res.body.code, message: typeof res.body.message }).toEqual({
        status: 400,
        code: 'bad_url',
        message: 'string',
      });
      expect(res.body.requestId).toEqual(expect.any(String));
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(res.body).not.toHaveProperty('statusCode');
    });
  });

  describe('finding 4: a client-sent forwarded-for proof never reaches an upstream', () => {
    it('is stripped before profiles (an echo upstream) sees the request', async () => {
      const res = await send(`${gateway.url}/api/profiles/me`, {
        method: 'GET',
        token,
        headers: { [FORWARDED_FOR_PROOF_HEADER]: 'v1.forged-proof' },
      });
      expect(res.status).toBe(200);
      const seen = res.body as unknown as SeenRequest;
      expect(seen.headers).not.toHaveProperty(FORWARDED_FOR_PROOF_HEADER);
      expect(seen.rawHeaders.map((h) => h.toLowerCase())).not.toContain(FORWARDED_FOR_PROOF_HEADER);
    });
  });
});
