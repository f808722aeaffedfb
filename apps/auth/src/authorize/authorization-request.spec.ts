import { GRANT_AUTHORIZATION_CODE } from '@authmesh/contracts';
import type { ClientEntity } from '../clients/client.entity.js';
import { readAuthorizationParams, requestedClientId, validateAuthorizationRequest } from './authorization-request.js';
import { AuthorizePageError, AuthorizeRedirectError } from './authorize.errors.js';

const client = {
  clientId: 'app',
  enabled: true,
  scopes: ['orders:read', 'auth:admin'],
  audiences: ['orders', 'profiles'],
  grantTypes: [GRANT_AUTHORIZATION_CODE],
  redirectUris: ['https://app.test/cb'],
} as unknown as ClientEntity;

const base = {
  response_type: 'code',
  client_id: 'app',
  redirect_uri: 'https://app.test/cb',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  state: 's',
};

const validate = (query: Record<string, unknown>, c: ClientEntity | null = client) =>
  validateAuthorizationRequest(readAuthorizationParams(query), c);

describe('authorization request validation (client → redirect_uri → PKCE, then redirect errors)', () => {
  it('accepts a sound request, defaulting to the client’s unprivileged scopes and all its audiences', () => {
    const r = validate(base);
    expect(r.scopes).toEqual(['orders:read']);
    expect(r.audiences).toEqual(['orders', 'profiles']);
    expect(r.state).toBe('s');
  });

  it('binds the code to the dpop_jkt it is given (RFC 9449 §10), and refuses one that is not a thumbprint', () => {
    const jkt = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
    expect(validate({ ...base, dpop_jkt: jkt }).dpopJkt).toBe(jkt);
    expect(validate(base).dpopJkt).toBeUndefined();
    for (const bad of ['short', `${jkt}=`, `${jkt.slice(0, 42)}+`]) {
      expect(() => validate({ ...base, dpop_jkt: bad })).toThrow(expect.objectContaining({ error: 'invalid_request' }));
    }
    expect(() => validate({ ...base, dpop_jkt: [jkt, jkt] })).toThrow(AuthorizeRedirectError);
  });

  it('refuses with a page (never a redirect) until client, redirect and PKCE hold', () => {
    expect(() => validate(base, null)).toThrow(AuthorizePageError);
    expect(() => validate(base, { ...client, enabled: false } as ClientEntity)).toThrow(AuthorizePageError);
    for (const bad of [
      { redirect_uri: 'https://app.test/cb/' },
      { redirect_uri: 'https://app.test/cb?x' },
      { redirect_uri: 'https://APP.test/cb' },
      { redirect_uri: ['https://app.test/cb', 'https://evil.test/'] },
      { code_challenge_method: 'plain' },
      { code_challenge_method: undefined },
      { code_challenge: undefined },
      { code_challenge: 'x'.repeat(42) },
      // even a bad response_type is a page while the redirect is bad
      { response_type: 'token', redirect_uri: 'https://evil.test/' },
    ])
      expect(() => validate({ ...base, ...bad })).toThrow(AuthorizePageError);
    expect(() => requestedClientId(readAuthorizationParams({ ...base, client_id: ['a', 'b'] }))).toThrow(AuthorizePageError);
  });

  it.each([
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'auth:admin' }, 'invalid_scope'],
    [{ scope: 'profiles:read' }, 'invalid_scope'],
    [{ audience: 'auth' }, 'invalid_target'],
    [{ prompt: 'none login' }, 'invalid_request'],
    [{ prompt: 'select_account' }, 'invalid_request'],
    [{ nonce: 'n'.repeat(513) }, 'invalid_request'],
    [{ scope: ['a', 'b'] }, 'invalid_request'],
  ])('then redirects errors: %j → %s', (extra, error) => {
    try {
      validate({ ...base, ...extra });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(AuthorizeRedirectError);
      expect((e as AuthorizeRedirectError).error).toBe(error);
    }
  });

  it('allows openid without the client registering it', () => {
    expect(validate({ ...base, scope: 'openid orders:read', prompt: 'login consent' }).scopes).toEqual(['openid', 'orders:read']);
  });
});
