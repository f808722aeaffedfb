import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewaySettings } from '../config/gateway.config.js';

/**
 * The session cookie: `HttpOnly` (no script can read it: XSS can't steal the session), `Secure`
 * (never over plain HTTP; browsers treat http://localhost as secure for development),
 * `SameSite=Lax` (not sent on cross-site subrequests or POSTs, while top-level navigations to the
 * app keep working), `Path=/` and no Domain (with the `__Host-` name over HTTPS: only this exact
 * host can set it). Max-Age is the absolute session lifetime; the server enforces both timeouts.
 */
export class SessionCookie {
  constructor(private readonly settings: GatewaySettings) {}

  get name(): string {
    return this.settings.sessionCookieName;
  }

  read(request: FastifyRequest): string | undefined {
    return request.cookies?.[this.settings.sessionCookieName];
  }

  set(reply: FastifyReply, id: string): void {
    void reply.setCookie(this.settings.sessionCookieName, id, {
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
      maxAge: this.settings.sessionAbsoluteSeconds,
    });
  }

  clear(reply: FastifyReply): void {
    void reply.clearCookie(this.settings.sessionCookieName, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
  }
}
