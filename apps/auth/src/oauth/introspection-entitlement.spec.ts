import { INTROSPECT_SCOPE, mayIntrospect } from './introspection-entitlement.js';

describe('mayIntrospect (RFC 7662 §4: who may see an access token)', () => {
  // The orders service's client: it calls profiles (its audiences), and is the resource server `orders`.
  const orders = { clientId: 'orders', scopes: ['profiles:read'] };

  it('allows the resource server the token is for (its client id in aud)', () => {
    expect(mayIntrospect(orders, { aud: ['orders'], client_id: 'gateway' })).toBe(true);
    expect(mayIntrospect(orders, { aud: 'orders', client_id: 'authmesh' })).toBe(true);
  });

  it('allows the client the token was issued to', () => {
    expect(mayIntrospect(orders, { aud: 'profiles', client_id: 'orders' })).toBe(true);
  });

  it('refuses a client that only calls the token’s audience, and a token without aud', () => {
    // orders may obtain tokens for profiles; that does not make profiles' tokens its business.
    expect(mayIntrospect(orders, { aud: ['profiles'], client_id: 'gateway' })).toBe(false);
    expect(mayIntrospect(orders, { aud: 'alpha', client_id: 'multi' })).toBe(false);
    expect(mayIntrospect(orders, { client_id: 'multi' })).toBe(false);
  });

  it(`allows a client holding ${INTROSPECT_SCOPE} whatever the token’s audience`, () => {
    expect(mayIntrospect({ clientId: 'audit', scopes: [INTROSPECT_SCOPE] }, { aud: 'alpha', client_id: 'multi' })).toBe(true);
  });
});
