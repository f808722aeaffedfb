import type { TestApp } from '@authmesh/testing';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway.config.js';
import {
  GATEWAY_CLIENT,
  PASSWORD,
  call,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './support/gateway-fixture.js';

type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

async function send(url: string, init: { method?: string; contentType?: string; body?: string; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.contentType) headers['content-type'] = init.contentType;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}
const json = (value: unknown) => ({ contentType: 'application/json', body: JSON.stringify(value) });
const fields = (a: Answer): unknown => (a.body.details as { fields?: unknown } | undefined)?.fields;

/**
 * The rough edges of the security review, sent over HTTP to real apps: one string rule (no NUL,
 * no unpaired surrogate) everywhere with a 400 naming the field; RFC 6749 errors on every
 * /oauth/* answer; 415 for a form on a JSON endpoint; 405 with Allow; "is required" alone for a
 * missing field.
 */
describe('input rules (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: TestApp<GatewayConfig>;
  let token: string;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url });
    token = (await loginAt(auth.url, await registerUser(auth.url, 'rules'))).access_token;
  });
  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await profiles?.close();
    await auth?.close();
  });

  describe('one string rule: NUL and unpaired surrogates are a 400 naming the field', () => {
    it.each([
      ['an unpaired surrogate in the e-mail at register', '/auth/register', { email: 'a\ud800@example.com', password: PASSWORD }, 'email'],
      ['a NUL in the e-mail at login', '/auth/login', { email: 'a\u0000@example.com', password: PASSWORD }, 'email'],
      ['a NUL in the password at login', '/auth/login', { email: 'a@example.com', password: `${PASSWORD}\u0000` }, 'password'],
    ])('auth: %s (was a 500: the value reached Postgres)', async (_name, path, body, field) => {
      const res = await send(`${auth.url}${path}`, json(body));
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'validation_failed' });
      expect(fields(res)).toEqual([{ field, problems: [expect.stringContaining('unpaired UTF-16 surrogate')] }]);
    });

    it('profiles: refuses an unpaired surrogate instead of storing U+FFFD', async () => {
      const res = await send(`${profiles.url}/profiles/me`, { method: 'PUT', token, ...json({ displayName: 'Ann \udc00' }) });
      expect({ status: res.status, code: res.body.code, fields: fields(res) }).toMatchObject({
        status: 400,
        code: 'validation_failed',
        fields: [{ field: 'displayName' }],
      });
      expect((await call<{ displayName?: string }>(`${profiles.url}/profiles/me`, { token })).body.displayName ?? '').not.toContain(
        '\ufffd',
      );
    });

    it('orders: names a nested field, and checks the query too', async () => {
      const res = await send(`${orders.url}/orders`, {
        token,
        ...json({ items: [{ sku: 'BOOK-1\u0000', quantity: 1 }], currency: 'EUR' }),
      });
      expect({ status: res.status, fields: fields(res) }).toMatchObject({ status: 400, fields: [{ field: 'items.0.sku' }] });
      const query = await send(`${orders.url}/orders?cursor=%00`, { method: 'GET', token });
      expect({ status: query.status, fields: fields(query) }).toMatchObject({ status: 400, fields: [{ field: 'query.cursor' }] });
    });

    it('OAuth parameters, form or JSON, in RFC 6749 form', async () => {
      for (const init of [
        { contentType: 'application/x-www-form-urlencoded', body: 'grant_type=client_credentials&client_id=a%00b' },
        json({ grant_type: 'client_credentials', client_id: '\ud800' }),
      ]) {
        const res = await send(`${auth.url}/oauth/token`, init);
        expect({ status: res.status, body: res.body }).toEqual({
          status: 400,
          body: { error: 'invalid_request', error_description: expect.stringContaining('client_id') },
        });
      }
    });
  });

  describe('every /oauth/* answer is in RFC 6749 §5.2 form', () => {
    it.each([
      ['bad JSON', json('x').contentType, '{"grant_type":', 400],
      ['a body over the limit', 'application/json', JSON.stringify({ a: 'x'.repeat(1_100_000) }), 413],
      ['a text/plain body', 'text/plain', 'grant_type=password', 415],
    ])('/oauth/token: %s', async (_name, contentType, body, status) => {
      const res = await send(`${auth.url}/oauth/token`, { contentType, body });
      expect({ status: res.status, body: res.body }).toEqual({
        status,
        body: { error: 'invalid_request', error_description: expect.any(String) },
      });
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it.each(['/oauth/token', '/oauth/introspect', '/oauth/revoke'])('%s: a wrong method is 405 with Allow, in RFC form', async (path) => {
      const res = await send(`${auth.url}${path}`, { method: 'GET' });
      expect({ status: res.status, allow: res.headers.get('allow'), error: res.body.error }).toEqual({
        status: 405,
        allow: 'POST',
        error: 'invalid_request',
      });
    });

    it('a form POST to /oauth/token through the gateway reaches auth (was a 502)', async () => {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: GATEWAY_CLIENT.clientId,
        client_secret: GATEWAY_CLIENT.secret,
        audience: 'orders',
      });
      const res = await send(`${gateway.url}/oauth/token`, { contentType: 'application/x-www-form-urlencoded', body: body.toString() });
      expect({ status: res.status, type: res.body.token_type }).toEqual({ status: 200, type: 'Bearer' });
    });
  });

  describe('JSON endpoints', () => {
    it.each([
      [`auth /auth/register`, () => `${auth.url}/auth/register`],
      [`auth /auth/login`, () => `${auth.url}/auth/login`],
      [`orders /orders`, () => `${orders.url}/orders`],
    ])('%s: a form body is 415 unsupported_media_type with Accept-Post', async (_name, url) => {
      const res = await send(url(), {
        token,
        contentType: 'application/x-www-form-urlencoded',
        body: `email=a%40example.com&password=${encodeURIComponent(PASSWORD)}`,
      });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 415, code: 'unsupported_media_type' });
      expect(res.headers.get('accept-post')).toBe('application/json');
    });

    it('a body without Content-Type is 415 saying what is missing; no body at all is 400 "body is required"', async () => {
      const untyped = await fetch(`${auth.url}/auth/register`, { method: 'POST', body: Buffer.from('{"email":"a@example.com"}') });
      expect(untyped.status).toBe(415);
      expect(await untyped.json()).toMatchObject({
        code: 'unsupported_media_type',
        message: expect.stringContaining('Content-Type: application/json'),
      });
      const empty = await send(`${auth.url}/auth/register`);
      expect({ status: empty.status, fields: fields(empty) }).toEqual({
        status: 400,
        fields: [{ field: 'body', problems: [expect.stringMatching(/^body is required/)] }],
      });
    });

    it('a missing field says only that it is required', async () => {
      const res = await send(`${auth.url}/auth/register`, json({ password: PASSWORD }));
      expect(fields(res)).toEqual([{ field: 'email', problems: ['email is required'] }]);
    });

    it.each([
      ['GET /auth/register', () => `${auth.url}/auth/register`, 'GET', 'POST'],
      ['DELETE /orders', () => `${orders.url}/orders`, 'DELETE', 'GET, HEAD, POST'],
      ['POST /profiles/me', () => `${profiles.url}/profiles/me`, 'POST', 'GET, HEAD, PUT'],
      ['POST /session/login at the gateway (the password login is gone)', () => `${gateway.url}/session/login`, 'POST', 'GET, HEAD'],
    ])('%s is 405 method_not_allowed with Allow', async (_name, url, method, allow) => {
      const res = await send(url(), { method, token });
      expect({ status: res.status, code: res.body.code, allow: res.headers.get('allow') }).toEqual({
        status: 405,
        code: 'method_not_allowed',
        allow,
      });
    });

    it('an unknown path is still 404', async () => {
      expect((await send(`${auth.url}/auth/nothing-here`, { method: 'GET' })).status).toBe(404);
    });
  });
});
