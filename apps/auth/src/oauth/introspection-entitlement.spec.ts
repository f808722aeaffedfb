import { INTROSPECT_SCOPE, mayIntrospect } from './introspection-entitlement.js';

describe('mayIntrospect (RFC 7662 §4: who may see an access token)', () => {
  const orders = { scopes: ['profiles:read'], audiences: ['profiles'] };

  it('allows a client whose audiences include one of the token’s', () => {
    expect(mayIntrospect(orders, ['auth', 'profiles'])).toBe(true);
    expect(mayIntrospect(orders, 'profiles')).toBe(true);
  });

  it('refuses a client none of whose audiences the token is for, and a token without aud', () => {
    expect(mayIntrospect(orders, ['orders', 'gateway'])).toBe(false);
    expect(mayIntrospect(orders, 'alpha')).toBe(false);
    expect(mayIntrospect(orders, undefined)).toBe(false);
  });

  it(`allows a client holding ${INTROSPECT_SCOPE} whatever the token’s audience`, () => {
    expect(mayIntrospect({ scopes: [INTROSPECT_SCOPE], audiences: ['auth'] }, 'alpha')).toBe(true);
  });
});
