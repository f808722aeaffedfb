import { isPrivilegedScope, withoutPrivilegedScopes } from './privileged-scopes.js';

describe('privileged scopes', () => {
  it('are auth:admin, and nothing that merely looks like it', () => {
    expect(isPrivilegedScope('auth:admin')).toBe(true);
    for (const s of ['auth:admins', 'orders:admin', 'AUTH:ADMIN', 'auth', '']) expect(isPrivilegedScope(s)).toBe(false);
  });

  it('are removed from a scope string, the rest kept in order', () => {
    expect(withoutPrivilegedScopes('orders:read auth:admin profiles:read')).toBe('orders:read profiles:read');
    expect(withoutPrivilegedScopes('auth:admin')).toBe('');
    expect(withoutPrivilegedScopes('orders:read  orders:write')).toBe('orders:read orders:write');
  });
});
