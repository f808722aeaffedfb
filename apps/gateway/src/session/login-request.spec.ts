import { CsrfFailedError, UnsupportedMediaTypeError } from '../errors/gateway-errors.js';
import { type LoginRequestHeaders, checkLoginRequest } from './login-request.js';

const allowed = new Set(['https://shop.example', 'https://partner.example']);
const json: LoginRequestHeaders = { contentType: 'application/json', secFetchSite: undefined, origin: undefined, referer: undefined };
const check = (h: Partial<LoginRequestHeaders>): void => checkLoginRequest({ ...json, ...h }, allowed);

describe('login CSRF checks on /session/login', () => {
  it('requires an application/json body (parameters and case aside)', () => {
    expect(() => check({})).not.toThrow();
    expect(() => check({ contentType: 'Application/JSON; charset=utf-8' })).not.toThrow();
    for (const contentType of [
      undefined,
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'application/jsonx',
    ])
      expect(() => check({ contentType })).toThrow(UnsupportedMediaTypeError);
  });

  it('refuses Sec-Fetch-Site: cross-site unless the Origin is allow-listed', () => {
    expect(() => check({ secFetchSite: 'cross-site' })).toThrow(CsrfFailedError);
    expect(() => check({ secFetchSite: 'cross-site', origin: 'https://evil.example' })).toThrow(CsrfFailedError);
    expect(() => check({ secFetchSite: 'cross-site', referer: 'https://shop.example/login' })).toThrow(CsrfFailedError);
    expect(() => check({ secFetchSite: 'cross-site', origin: 'https://partner.example' })).not.toThrow();
    for (const secFetchSite of ['same-origin', 'same-site', 'none']) expect(() => check({ secFetchSite })).not.toThrow();
  });

  it('still refuses a foreign Origin or Referer, and lets a request with neither pass', () => {
    expect(() => check({ origin: 'https://evil.example' })).toThrow(CsrfFailedError);
    expect(() => check({ referer: 'https://evil.example/x' })).toThrow(CsrfFailedError);
    expect(() => check({ origin: 'https://shop.example' })).not.toThrow();
  });

  it('answers the media type before anything else (415, not 403)', () => {
    expect(() => check({ contentType: 'text/plain', origin: 'https://evil.example' })).toThrow(UnsupportedMediaTypeError);
  });
});
