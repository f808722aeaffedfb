import { takeApiKey } from './api-key-access.js';

const COOKIE = 'authmesh_session';
const KEY = `amk_live_${'A'.repeat(49)}`;
const request = (headers: Record<string, string | string[]>, cookies: Record<string, string> = {}) => ({
  headers: { ...headers },
  cookies,
});

describe('takeApiKey', () => {
  it('reads Authorization: ApiKey and X-API-Key, and removes both from the request', () => {
    const a = request({ authorization: `ApiKey ${KEY}` });
    expect(takeApiKey(a, COOKIE)).toBe(KEY);
    expect(a.headers).toEqual({});
    const b = request({ 'x-api-key': KEY, accept: 'application/json' });
    expect(takeApiKey(b, COOKIE)).toBe(KEY);
    expect(b.headers).toEqual({ accept: 'application/json' });
  });

  it('leaves a request without a key untouched', () => {
    const r = request({ authorization: 'Bearer abc' });
    expect(takeApiKey(r, COOKIE)).toBeUndefined();
    expect(r.headers).toEqual({ authorization: 'Bearer abc' });
  });

  it('drops an empty ApiKey authorization rather than forwarding it', () => {
    const r = request({ authorization: 'ApiKey' });
    expect(takeApiKey(r, COOKIE)).toBeUndefined();
    expect(r.headers).toEqual({});
  });

  it.each([
    ['a key and a bearer token', request({ 'x-api-key': KEY, authorization: 'Bearer abc' })],
    ['two keys', request({ 'x-api-key': KEY, authorization: `ApiKey ${KEY}` })],
    ['a repeated X-API-Key', request({ 'x-api-key': [KEY, KEY] })],
    ['a key and the session cookie', request({ 'x-api-key': KEY }, { [COOKIE]: 'sealed' })],
  ])('refuses %s as credentials_ambiguous, with the key already stripped', (_name, r) => {
    expect(() => takeApiKey(r, COOKIE)).toThrow(expect.objectContaining({ code: 'credentials_ambiguous', status: 400 }));
    expect(r.headers['x-api-key']).toBeUndefined();
  });
});
