import { CsrfFailedError } from '../errors/gateway-errors.js';
import { OriginAllowList, checkCsrf, checkOriginIfPresent } from './csrf.js';

const allowed = new Set(['https://shop.example', 'https://admin.example']);
const token = 'k'.repeat(43);
const ok = { method: 'POST', origin: 'https://shop.example', referer: undefined, csrfToken: token };

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof CsrfFailedError) return e.code;
    throw e;
  }
}

describe('CSRF check for cookie-authenticated requests', () => {
  it('passes an unsafe request with the session token from an allowed origin', () => {
    expect(codeOf(() => checkCsrf(ok, token, allowed))).toBeUndefined();
    expect(codeOf(() => checkCsrf({ ...ok, origin: 'https://admin.example' }, token, allowed))).toBeUndefined();
  });

  it('needs nothing for safe methods', () => {
    expect(
      codeOf(() => checkCsrf({ method: 'GET', origin: undefined, referer: undefined, csrfToken: undefined }, token, allowed)),
    ).toBeUndefined();
    expect(
      codeOf(() => checkCsrf({ method: 'HEAD', origin: 'https://evil.example', referer: undefined, csrfToken: undefined }, token, allowed)),
    ).toBeUndefined();
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('refuses %s without the token, with a wrong one, or with one of another length', (method) => {
    expect(codeOf(() => checkCsrf({ ...ok, method, csrfToken: undefined }, token, allowed))).toBe('csrf_failed');
    expect(codeOf(() => checkCsrf({ ...ok, method, csrfToken: 'x'.repeat(43) }, token, allowed))).toBe('csrf_failed');
    expect(codeOf(() => checkCsrf({ ...ok, method, csrfToken: 'short' }, token, allowed))).toBe('csrf_failed');
  });

  it('refuses a foreign Origin, Origin: null, and a request with neither Origin nor Referer', () => {
    expect(codeOf(() => checkCsrf({ ...ok, origin: 'https://evil.example' }, token, allowed))).toBe('csrf_failed');
    expect(codeOf(() => checkCsrf({ ...ok, origin: 'null' }, token, allowed))).toBe('csrf_failed');
    expect(codeOf(() => checkCsrf({ ...ok, origin: undefined }, token, allowed))).toBe('csrf_failed');
  });

  it('falls back to the Referer’s origin when Origin is absent', () => {
    expect(codeOf(() => checkCsrf({ ...ok, origin: undefined, referer: 'https://shop.example/cart?x=1' }, token, allowed))).toBeUndefined();
    expect(codeOf(() => checkCsrf({ ...ok, origin: undefined, referer: 'https://shop.example.evil.example/' }, token, allowed))).toBe(
      'csrf_failed',
    );
    expect(codeOf(() => checkCsrf({ ...ok, origin: undefined, referer: 'not a url' }, token, allowed))).toBe('csrf_failed');
  });

  it('lets a login without Origin or Referer through (non-browser) but refuses a foreign one', () => {
    expect(codeOf(() => checkOriginIfPresent({ origin: undefined, referer: undefined }, allowed))).toBeUndefined();
    expect(codeOf(() => checkOriginIfPresent({ origin: 'https://evil.example', referer: undefined }, allowed))).toBe('csrf_failed');
  });

  it('says which origin was expected, naming the gateway’s own origins but not the CORS allow-list', () => {
    const list = new OriginAllowList(['http://127.0.0.1:3000', 'http://localhost:3000'], ['https://partner.example']);
    const message = (fn: () => void): string | undefined => {
      try {
        fn();
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    };
    const foreign = message(() => checkCsrf({ ...ok, origin: 'http://evil.example' }, token, list));
    expect(foreign).toBe(
      'Cross-site request check failed: expected Origin http://127.0.0.1:3000 or http://localhost:3000 (or an allowed CORS origin)',
    );
    expect(foreign).not.toContain('partner');
    expect(message(() => checkOriginIfPresent({ origin: 'http://evil.example', referer: undefined }, list))).toBe(foreign);
    expect(codeOf(() => checkCsrf({ ...ok, origin: 'http://localhost:3000' }, token, list))).toBeUndefined();
    expect(codeOf(() => checkCsrf({ ...ok, origin: 'https://partner.example' }, token, list))).toBeUndefined();
  });
});
