import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Scopes, type Principal } from '@authmesh/token-verifier';
import { AdminTokenRequiredError, ExchangedTokenRefusedError } from './hop.errors.js';
import { HopGuard } from './hop.guard.js';

class Routes {
  @Scopes('auth:admin')
  admin(): void {}
  @Scopes('orders:read')
  ordinary(): void {}
  selfService(): void {}
}

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  sub: 'user-1',
  clientId: 'authmesh',
  scopes: ['auth:admin'],
  audience: ['auth'],
  tokenId: 'jti-1',
  expiresAt: '2026-12-01T00:00:00Z',
  isService: false,
  ...overrides,
});

function run(handler: keyof Routes, p: Principal | undefined): unknown {
  const context = {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => ({ principal: p }) }),
  } as unknown as ExecutionContext;
  try {
    return new HopGuard(new Reflector()).canActivate(context);
  } catch (e) {
    return e;
  }
}

describe('HopGuard', () => {
  it('lets a token for auth alone reach a privileged route, and any audience reach the others', () => {
    expect(run('admin', principal())).toBe(true);
    expect(run('ordinary', principal({ audience: ['auth', 'orders'] }))).toBe(true);
    expect(run('selfService', principal({ audience: ['auth', 'gateway', 'orders', 'profiles'] }))).toBe(true);
  });

  it('refuses a privileged route to a token that names any other audience too', () => {
    expect(run('admin', principal({ audience: ['auth', 'orders'] }))).toBeInstanceOf(AdminTokenRequiredError);
    expect(run('admin', principal({ audience: ['orders'] }))).toBeInstanceOf(AdminTokenRequiredError);
    expect(run('admin', principal({ audience: [] }))).toBeInstanceOf(AdminTokenRequiredError);
  });

  it('refuses an exchanged token (act) on every authenticated route', () => {
    for (const route of ['admin', 'ordinary', 'selfService'] as const)
      expect(run(route, principal({ actor: 'gateway' }))).toBeInstanceOf(ExchangedTokenRefusedError);
  });

  it('has nothing to check on a public route (no principal)', () => {
    expect(run('admin', undefined)).toBe(true);
  });
});
