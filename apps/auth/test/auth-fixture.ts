import { randomBytes } from 'node:crypto';
import { newTestApp, type TestApp } from '@authmesh/testing';
import { authApp } from '../src/auth.app.js';
import { GRANT_TOKEN_EXCHANGE } from '@authmesh/contracts';
import type { AuthConfig } from '../src/config/auth.config.js';

export const ISSUER = 'http://auth.test';
export const ORDERS_CLIENT = {
  clientId: 'orders',
  secret: 'orders-secret-0123456789AbCdEfGhIjKl',
  scopes: ['profiles:read'],
  audiences: ['profiles'],
};
export const MULTI_CLIENT = {
  clientId: 'multi',
  secret: 'multi-secret-0123456789AbCdEfGhIjKl',
  scopes: ['a:read', 'b:write'],
  audiences: ['alpha', 'beta'],
};

/** A client that may only exchange user tokens (RFC 8693) for orders or profiles tokens, as the gateway does. Not seeded by default. */
export const GATEWAY_CLIENT = {
  clientId: 'gateway',
  secret: 'gateway-secret-0123456789AbCdEfGhIjKl',
  scopes: [] as string[],
  audiences: ['orders', 'profiles'],
  grantTypes: [GRANT_TOKEN_EXCHANGE],
};

/** Boots auth on a free port with its own database, a fresh KEK and two seeded clients. */
export async function newAuthApp(env: Record<string, string> = {}): Promise<TestApp<AuthConfig>> {
  return newTestApp(authApp, {
    AUTH_KEK: randomBytes(32).toString('base64'),
    AUTH_ISSUER: ISSUER,
    AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, MULTI_CLIENT]),
    ...env,
  });
}

export const uniqueEmail = (label: string): string => `${label}-${randomBytes(5).toString('hex')}@example.com`;

export function form(values: Record<string, string>): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(values).toString() };
}

export const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Whether auth's introspection (asked by orders, entitled to user tokens for it) says `token` is active. */
export async function isActive(authUrl: string, token: string): Promise<boolean> {
  const f = form({ token });
  const res = await fetch(`${authUrl}/oauth/introspect`, {
    method: 'POST',
    body: f.body,
    headers: { ...f.headers, authorization: basic(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret) },
  });
  return ((await res.json()) as { active: boolean }).active;
}
