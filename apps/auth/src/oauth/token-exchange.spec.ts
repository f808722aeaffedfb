import { OAuthParams } from './oauth-params.js';
import { InvalidRequest, InvalidScope, type OAuthError } from './oauth.errors.js';
import { TOKEN_TYPE_ACCESS_TOKEN } from '@authmesh/contracts';
import { exchangedScope, readTokenExchangeRequest, scopeOwner } from './token-exchange.js';

function errorOf(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (e) {
    return e as OAuthError;
  }
  throw new Error('expected an error');
}

describe('readTokenExchangeRequest (RFC 8693 §2.1)', () => {
  const valid = { subject_token: 'tok', subject_token_type: TOKEN_TYPE_ACCESS_TOKEN, audience: 'orders' };
  const read = (body: Record<string, unknown>) => readTokenExchangeRequest(new OAuthParams(body));

  it('reads the subject token, the one audience and the optional scope', () => {
    expect(read({ ...valid, scope: 'orders:read' })).toEqual({ subjectToken: 'tok', audience: 'orders', scope: 'orders:read' });
    expect(read(valid)).toEqual({ subjectToken: 'tok', audience: 'orders', scope: undefined });
  });

  it('accepts resource as a synonym of audience', () => {
    const { audience, ...rest } = valid;
    expect(read({ ...rest, resource: audience }).audience).toBe('orders');
  });

  it('accepts requested_token_type when it asks for an access token', () => {
    expect(read({ ...valid, requested_token_type: TOKEN_TYPE_ACCESS_TOKEN }).audience).toBe('orders');
  });

  it.each<[string, Record<string, unknown>]>([
    ['a missing subject_token', { ...valid, subject_token: undefined }],
    ['a missing subject_token_type', { ...valid, subject_token_type: undefined }],
    ['a JWT subject_token_type', { ...valid, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' }],
    ['a refresh-token subject_token_type', { ...valid, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }],
    ['a missing audience', { ...valid, audience: undefined }],
    ['a repeated audience', { ...valid, audience: ['orders', 'profiles'] }],
    ['a space-separated list of audiences', { ...valid, audience: 'orders profiles' }],
    ['both audience and resource', { ...valid, resource: 'orders' }],
    ['an actor_token', { ...valid, actor_token: 'other', actor_token_type: TOKEN_TYPE_ACCESS_TOKEN }],
    ['a requested_token_type other than an access token', { ...valid, requested_token_type: 'urn:ietf:params:oauth:token-type:id_token' }],
  ])('refuses %s with invalid_request', (_label, body) => {
    const error = errorOf(() => read(body));
    expect(error).toBeInstanceOf(InvalidRequest);
    expect(error.render().body).toMatchObject({ error: 'invalid_request' });
  });
});

describe('scopeOwner', () => {
  it.each([
    ['orders:read', 'orders'],
    ['orders:items:write', 'orders'],
    ['openid', undefined],
    [':read', undefined],
  ])('%s belongs to %s', (scope, owner) => {
    expect(scopeOwner(scope)).toBe(owner);
  });
});

describe('exchangedScope: never wider than the subject token', () => {
  const subject = ['orders:read', 'orders:write', 'profiles:read', 'openid'];

  it('defaults to the subject scopes that belong to the audience, without unprefixed ones', () => {
    expect(exchangedScope(undefined, subject, 'orders')).toBe('orders:read orders:write');
    expect(exchangedScope(undefined, subject, 'profiles')).toBe('profiles:read');
  });

  it('grants a requested subset, deduplicated, including an unprefixed scope the subject token has', () => {
    expect(exchangedScope('orders:read orders:read', subject, 'orders')).toBe('orders:read');
    expect(exchangedScope('openid orders:read', subject, 'orders')).toBe('openid orders:read');
  });

  it.each([
    ['a scope the subject token lacks', 'orders:read orders:admin', 'orders'],
    ['an unprefixed scope the subject token lacks', 'email', 'orders'],
    ['a scope of another audience', 'profiles:read', 'orders'],
    ['an empty scope', ' ', 'orders'],
    ['a malformed scope', 'orders:"read"', 'orders'],
  ])('refuses %s with invalid_scope', (_label, requested, audience) => {
    expect(errorOf(() => exchangedScope(requested, subject, audience))).toBeInstanceOf(InvalidScope);
  });

  it('refuses an exchange that would carry no scope for the audience', () => {
    expect(errorOf(() => exchangedScope(undefined, subject, 'billing'))).toBeInstanceOf(InvalidScope);
  });
});
