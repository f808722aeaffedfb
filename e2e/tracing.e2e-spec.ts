import { type LogCapture, type TestApp, call, captureTestLogs, stopCapturingTestLogs } from '@authmesh/testing';
import { SpanKind } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import {
  ADDRESS,
  CART,
  GATEWAY_CLIENT,
  ORDERS_CLIENT,
  PASSWORD,
  loginAt,
  registerUser,
  startAuth,
  startGateway,
  startServices,
} from './gateway/support/gateway-fixture.js';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

/**
 * Tracing and logs across every hop, the four apps in one process as under `npm start` (one
 * global OpenTelemetry API, one Nest logger): W3C `traceparent` from the gateway to orders to
 * profiles and to auth, each span under its own `service.name`, exported over OTLP/HTTP to an
 * in-process receiver; each service's access line carries its own name and the trace id.
 */
describe('tracing and access logs across the suite (e2e)', () => {
  let receiver: OtlpReceiver;
  let logs: LogCapture;
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: TestApp;
  let email: string;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    logs = captureTestLogs();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' };
    auth = await startAuth(env);
    ({ orders, profiles } = await startServices(auth, env));
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url }, env);
    email = await registerUser(auth.url, 'trace');
  });
  afterAll(async () => {
    stopCapturingTestLogs();
    await gateway?.close();
    await orders?.close();
    await profiles?.close();
    await auth?.close();
    await receiver?.close();
  });

  const servicesOf = (spans: ReceivedSpan[]): Set<string> => new Set(spans.map((s) => s.service));
  const parentOf = (spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan | undefined =>
    spans.find((s) => s.spanId === span.parentSpanId);

  it('follows one request from the gateway to orders, profiles and auth in one trace, named in every access line', async () => {
    const { access_token: token } = await loginAt(auth.url, email);
    expect(
      (await call(`${gateway.url}/api/profiles/me`, { method: 'PUT', token, body: { displayName: 'T', shippingAddress: ADDRESS } })).status,
    ).toBe(200);
    const created = await call(`${gateway.url}/api/orders`, { token, body: CART });
    expect(created.status).toBe(201);

    const requestId = created.headers.get('x-request-id');
    const edgeLine = logs.accessLines('gateway').find((l) => l.requestId === requestId);
    expect(edgeLine).toMatchObject({
      name: 'gateway',
      method: 'POST',
      route: '/api/orders',
      status: 201,
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const traceId = String(edgeLine!.traceId);

    // Everything the request caused: the exchange at auth, orders, its token fetch at auth, profiles.
    const spans = await receiver.trace(
      traceId,
      (s) =>
        servicesOf(s).size === 4 &&
        s.filter((x) => x.service === 'auth').length >= 2 &&
        servicesOf(s.filter((x) => x.name === 'token.verify')).size === 3 &&
        // The edge's server span ends last, after the response: it may come in a later batch.
        s.filter((x) => x.kind === SpanKind.SERVER + 1).length >= 5,
    );
    expect(servicesOf(spans)).toEqual(new Set(['gateway', 'orders', 'profiles', 'auth']));

    const server = (service: string, name: string): ReceivedSpan[] =>
      spans.filter((s) => s.service === service && s.kind === SpanKind.SERVER + 1 && s.name === name);
    // OTLP numbers span kinds from 1 (INTERNAL), the API from 0.
    const [edge] = server('gateway', 'POST /api/orders');
    expect(edge).toBeDefined();
    expect(edge!.parentSpanId).toBeUndefined();
    const [ordersSpan] = server('orders', 'POST /orders');
    const profilesSpan = spans.find((s) => s.service === 'profiles' && s.kind === SpanKind.SERVER + 1);
    expect(ordersSpan).toBeDefined();
    expect(profilesSpan).toBeDefined();
    // Each hop's server span is the child of the caller's outgoing (undici) client span.
    expect(parentOf(spans, ordersSpan!)).toMatchObject({ service: 'gateway', kind: SpanKind.CLIENT + 1 });
    expect(parentOf(spans, profilesSpan!)).toMatchObject({ service: 'orders', kind: SpanKind.CLIENT + 1 });
    const tokenCalls = server('auth', 'POST /oauth/token');
    expect(tokenCalls.map((s) => parentOf(spans, s)?.service).sort()).toEqual(['gateway', 'orders']);

    // Verification at each service: cache, kid and outcome, never the token.
    const verifications = spans.filter((s) => s.name === 'token.verify');
    expect(servicesOf(verifications)).toEqual(new Set(['gateway', 'orders', 'profiles']));
    for (const v of verifications) {
      expect(v.attributes).toMatchObject({
        'authmesh.verify.outcome': 'ok',
        'authmesh.verify.kid': expect.any(String),
        'authmesh.verify.cache': expect.stringMatching(/^(hit|miss)$/),
      });
      expect(JSON.stringify(v.attributes)).not.toContain(token.split('.')[2]);
    }

    // The trace id is in each service's access line, under each service's own name.
    for (const app of ['gateway', 'orders', 'profiles', 'auth']) {
      expect(logs.accessLines(app).filter((l) => l.traceId === traceId).length).toBeGreaterThan(0);
    }
    expect(logs.accessLines('orders').find((l) => l.traceId === traceId)).toMatchObject({
      route: '/orders',
      status: 201,
      sub: expect.any(String),
    });
    expect(logs.accessLines('gateway').find((l) => l.traceId === traceId)).toMatchObject({
      sub: expect.any(String),
      client_id: expect.any(String),
    });
  });

  it("continues a caller's trace: its traceparent is the gateway span's parent, and the hops behind keep the trace", async () => {
    const { access_token: token } = await loginAt(auth.url, email);
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await call(`${gateway.url}/api/orders`, { token, headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } });
    expect(res.status).toBe(200);
    const spans = await receiver.trace(
      callerTrace,
      (s) =>
        s.some((x) => x.service === 'orders' && x.kind === SpanKind.SERVER + 1) &&
        s.some((x) => x.service === 'gateway' && x.kind === SpanKind.SERVER + 1) &&
        s.some((x) => x.service === 'gateway' && x.kind === SpanKind.CLIENT + 1),
    );
    expect(spans.find((s) => s.service === 'gateway' && s.kind === SpanKind.SERVER + 1)).toMatchObject({ parentSpanId: callerSpan });
    const ordersSpan = spans.find((s) => s.service === 'orders' && s.kind === SpanKind.SERVER + 1);
    expect(parentOf(spans, ordersSpan!)).toMatchObject({ service: 'gateway', kind: SpanKind.CLIENT + 1 });
  });

  it('writes an access line for a request sent straight to orders, and the refusal body carries its trace id', async () => {
    const refused = await call(`${orders.url}/orders`);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({
      code: 'token_missing',
      requestId: expect.any(String),
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const line = logs.accessLines('orders').find((l) => l.requestId === refused.body.requestId);
    expect(line).toMatchObject({
      name: 'orders',
      method: 'GET',
      route: '/orders',
      status: 401,
      code: 'token_missing',
      traceId: refused.body.traceId,
    });
  });

  it('carries each service own name on every line, not only on access lines', () => {
    const names = new Set(logs.lines.map((l) => l.name));
    expect(names).toEqual(new Set(['auth', 'orders', 'profiles', 'gateway']));
    // Start-up lines of Nest's shared logger (`new Logger('Seeder')`) land under the app that wrote them.
    expect(logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('seeded client'))).toMatchObject({ name: 'auth' });
    expect(logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('JWKS loaded'))?.name).not.toBe('auth');
  });

  it('never logs a password, token, refresh token or client secret over a full flow (login, refresh, exchange, service token)', async () => {
    const login = await loginAt(auth.url, email);
    const refreshed = await call<{ access_token: string; refresh_token: string }>(`${auth.url}/oauth/token`, {
      body: { grant_type: 'refresh_token', refresh_token: login.refresh_token, client_id: 'authmesh' },
    });
    expect(refreshed.status).toBe(200);
    // Reuse of the used refresh token: refused, the family revoked, and a warning logged.
    const reuse = await call(`${auth.url}/oauth/token`, {
      body: { grant_type: 'refresh_token', refresh_token: login.refresh_token, client_id: 'authmesh' },
    });
    expect(reuse.status).toBeGreaterThanOrEqual(400);
    const fresh = await loginAt(auth.url, email);
    // Through the gateway: the exchange at auth, orders' service token, profiles.
    expect((await call(`${gateway.url}/api/orders`, { token: fresh.access_token, body: CART })).status).toBe(201);
    expect((await call(`${gateway.url}/api/orders`, { token: `${fresh.access_token}x` })).status).toBe(401);
    // A wrong password is a refusal whose body must not reach the log either.
    expect((await call(`${auth.url}/auth/login`, { body: { email, password: `${PASSWORD}-wrong` } })).status).toBeGreaterThanOrEqual(400);

    const raw = logs.raw;
    expect(logs.lines.length).toBeGreaterThan(20);
    for (const secret of [
      PASSWORD,
      login.access_token,
      login.refresh_token,
      refreshed.body.access_token,
      refreshed.body.refresh_token,
      fresh.access_token,
      fresh.refresh_token,
      ORDERS_CLIENT.secret,
      GATEWAY_CLIENT.secret,
    ]) {
      expect(raw.includes(secret)).toBe(false);
      // Nor the signature alone (a token's unique part).
      if (secret.split('.').length === 3) expect(raw.includes(secret.split('.')[2]!)).toBe(false);
    }
    expect(raw).toContain('refresh token reuse detected');
  });
});
