import type { GatewaySettings } from '../config/gateway.config.js';
import { limitedPathOf } from '../rate-limit/login-rate-limiter.js';
import { allowedOperation, gatewayRoutes } from './routes.js';

const routes = gatewayRoutes({ authUrl: 'http://auth', ordersUrl: 'http://orders', profilesUrl: 'http://profiles' } as GatewaySettings);
const route = (prefix: string) => routes.find((r) => r.prefix === prefix)!;
const allowed = (prefix: string, method: string, url: string) => allowedOperation(route(prefix), method, limitedPathOf(url));

describe("the gateway's allow-list of auth's routes", () => {
  it.each([
    ['POST', '/auth/login'],
    ['POST', '/auth/register'],
    ['POST', '/auth/password'],
    ['POST', '/auth/admin-token'],
    ['POST', '/auth/./login'],
    ['POST', '/auth/%6Cogin'],
    ['POST', '/auth/sessions/../login'],
    ['POST', '/auth/sessions/x/../../password'],
    ['POST', '/auth/login/'],
    ['GET', '/auth/login'],
    ['POST', '/auth'],
  ])('does not forward %s %s (a password-taking route, however spelled)', (method, url) => {
    expect(allowed('/auth', method, url)).toBeUndefined();
  });

  it.each([
    ['POST', '/auth/logout', true],
    ['POST', '/auth/logout-all', true],
    ['GET', '/auth/sessions', true],
    ['HEAD', '/auth/sessions', true],
    ['POST', '/auth/sessions/0b6f3c2e-1d1a-4a51-9f1e-2a9d3a6c9c11/revoke', true],
    ['POST', '/auth/verify-email', false],
    ['POST', '/auth/unlock', false],
  ])('forwards %s %s (session cookie accepted: %s)', (method, url, session) => {
    expect(allowed('/auth', method, url)).toMatchObject({ session });
  });

  it('forwards the machine OAuth endpoints and discovery, not auth’s browser pages', () => {
    expect(allowed('/oauth', 'POST', '/oauth/token')).toBeDefined();
    expect(allowed('/oauth', 'POST', '/oauth/%2e/token?x=1')).toBeDefined();
    expect(allowed('/oauth', 'GET', '/oauth/userinfo')).toBeDefined();
    expect(allowed('/oauth', 'GET', '/oauth/authorize')).toBeUndefined();
    expect(allowed('/oauth', 'POST', '/oauth/authorize/consent')).toBeUndefined();
    expect(allowed('/oauth', 'GET', '/oauth/logout')).toBeUndefined();
    expect(allowed('/.well-known', 'GET', '/.well-known/openid-configuration')).toBeDefined();
    expect(allowed('/.well-known', 'POST', '/.well-known/jwks.json')).toBeUndefined();
  });

  it('leaves the API routes without an allow-list (everything under the prefix)', () => {
    expect(route('/api/orders').allow).toBeUndefined();
    expect(route('/api/profiles').allow).toBeUndefined();
  });
});
