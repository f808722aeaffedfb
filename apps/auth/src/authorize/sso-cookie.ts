import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The SSO cookie: `__Host-` (only this exact host can set it: no sibling subdomain plants one,
 * RFC 6265bis §4.1.3.2), `HttpOnly` (no script reads it), `Secure`, `SameSite=Lax` (not sent on
 * cross-site POSTs or subrequests; sent on the top-level GET navigation an authorization request
 * is), `Path=/`, no Domain. Always this name: Chromium stores a `__Host-`/Secure cookie set by
 * http://127.0.0.1 or http://localhost (checked with Debian's Chromium 156, the browser tests'
 * one: loopback is a secure context), and auth on plain HTTP elsewhere must not keep a session.
 * Cookies ignore ports: on 127.0.0.1 the gateway receives it too (docs/architecture.md, "Hosted
 * login, SSO sessions and consent"). A session cookie (no Max-Age): the server enforces both timeouts.
 */
export const SSO_COOKIE = '__Host-authmesh_sso';

const ATTRIBUTES = { httpOnly: true, secure: true, sameSite: 'lax', path: '/' } as const;

export function readSsoCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SSO_COOKIE];
  return value === undefined || value === '' ? undefined : value;
}

export function setSsoCookie(reply: FastifyReply, secret: string): void {
  void reply.setCookie(SSO_COOKIE, secret, ATTRIBUTES);
}

export function clearSsoCookie(reply: FastifyReply): void {
  void reply.clearCookie(SSO_COOKIE, ATTRIBUTES);
}
