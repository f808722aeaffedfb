import type { TestApp } from '@authmesh/testing';
import { request as httpRequest } from 'node:http';
import type { GatewayConfig } from '../../apps/gateway/src/config/gateway.config.js';
import { startAuth, startGateway, startServices } from './support/gateway-fixture.js';

/** GET with the path sent byte for byte (fetch and URL would resolve `..` before sending). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Anything a metrics scrape or a readiness answer would show. */
const LEAK = /http_requests_total|process_resident_memory|revocation|jwks|"database"|"redis"/i;

/**
 * Finding 10: /metrics and /health/ready (memory, revocation counts, JWKS state) answered on the
 * gateway's public port. They now live on each service's management listener: the public port
 * answers 404, no gateway route reaches a backend's, and the management listener answers.
 */
describe('management listener (e2e)', () => {
  let auth: TestApp;
  let orders: TestApp;
  let profiles: TestApp;
  let gateway: TestApp<GatewayConfig>;

  beforeAll(async () => {
    auth = await startAuth();
    ({ orders, profiles } = await startServices(auth));
    gateway = await startGateway({ auth, ordersUrl: orders.url, profilesUrl: profiles.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await orders?.close();
    await profiles?.close();
    await auth?.close();
  });

  it.each(['/metrics', '/metrics?x=1', '/metrics/'])('the gateway’s public port answers %s with 404 not_found', async (path) => {
    const res = await rawGet(gateway.url, path);
    expect({ status: res.status, code: (JSON.parse(res.body) as { code?: string }).code }).toEqual({ status: 404, code: 'not_found' });
    expect(res.body).not.toMatch(LEAK);
  });

  it('every main port answers /health/ready with a bare yes (no checks, no JWKS or revocation state), and no /metrics', async () => {
    for (const app of [gateway, auth, orders, profiles]) {
      const ready = await rawGet(app.url, '/health/ready');
      expect({ url: app.url, status: ready.status, body: JSON.parse(ready.body) as unknown }).toEqual({
        url: app.url,
        status: 200,
        body: { status: 'ok' },
      });
      expect(ready.body).not.toMatch(LEAK);
      const metrics = await rawGet(app.url, '/metrics');
      expect({ url: `${app.url}/metrics`, status: metrics.status }).toEqual({ url: `${app.url}/metrics`, status: 404 });
    }
  });

  it.each([
    '/auth/../metrics',
    '/auth/../health/ready',
    '/auth/%2e%2e/metrics',
    '/auth/%2E%2E/health/ready',
    '/auth/..%2fmetrics',
    '/oauth/../metrics',
    '/.well-known/../metrics',
    '/api/orders/../../metrics',
    '/api/orders/../../health/ready',
    '/api/orders/%2e%2e/%2e%2e/metrics',
    '/api/orders/..%2f..%2fmetrics',
    '/api/orders/..%5c..%5cmetrics',
    '/api/profiles/../../metrics',
    '/api/profiles/%2e%2e%2f%2e%2e%2fhealth%2fready',
  ])('no route of the gateway reaches a backend’s metrics or readiness: %s', async (path) => {
    const res = await rawGet(gateway.url, path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).not.toMatch(LEAK);
  });

  it('every service answers /metrics, /health/ready and /health/live on its management listener', async () => {
    for (const app of [gateway, auth, orders, profiles]) {
      expect(app.managementUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(app.managementUrl).not.toBe(app.url);
      const metrics = await rawGet(app.managementUrl, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(new RegExp(`http_requests_total\\{[^}]*service="${app.config.app}"`));
      const ready = await rawGet(app.managementUrl, '/health/ready');
      expect({ status: ready.status, body: JSON.parse(ready.body) as unknown }).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect((await rawGet(app.managementUrl, '/health/live')).status).toBe(200);
    }
  });

  it('every service reports its keys in one readiness shape (TokenVerifierModule’s jwks check)', async () => {
    const shapes: Record<string, unknown> = {};
    for (const app of [gateway, auth, orders, profiles]) {
      const ready = JSON.parse((await rawGet(app.managementUrl, '/health/ready')).body) as { info: { jwks?: Record<string, unknown> } };
      expect({ app: app.config.app, jwks: ready.info.jwks }).toMatchObject({ app: app.config.app, jwks: { status: 'up' } });
      shapes[app.config.app] = Object.keys(ready.info.jwks ?? {}).sort();
    }
    const expected = ['ageSeconds', 'keys', 'lastResult', 'maxStalenessSeconds', 'responseTime', 'status'];
    expect(shapes).toEqual({ gateway: expected, auth: expected, orders: expected, profiles: expected });
  });

  it('the management listener serves nothing else (no API route, no proxy)', async () => {
    for (const path of ['/api/orders', '/auth/login', '/orders', '/.well-known/jwks.json']) {
      const res = await rawGet(gateway.managementUrl, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });
});
