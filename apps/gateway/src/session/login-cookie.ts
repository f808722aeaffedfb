import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewaySettings } from '../config/gateway.config.js';

/**
 * The cookie that binds a started login to its browser (PendingLogins): `HttpOnly`, `Secure`,
 * `SameSite=Lax` — sent on auth's top-level redirect back to `/session/callback` (a cross-site
 * navigation), never on a cross-site subrequest — `Path=/` and no Domain (`__Host-` over HTTPS,
 * RFC 6265bis §4.1.3.2), and short-lived (GATEWAY_LOGIN_TTL_S). Cleared by the callback.
 */
export class LoginCookie {
  constructor(private readonly settings: GatewaySettings) {}

  get name(): string {
    return this.settings.loginCookieName;
  }

  read(request: FastifyRequest): string | undefined {
    return request.cookies?.[this.settings.loginCookieName];
  }

  set(reply: FastifyReply, id: string): void {
    void reply.setCookie(this.settings.loginCookieName, id, {
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
      maxAge: this.settings.loginTtlSeconds,
    });
  }

  clear(reply: FastifyReply): void {
    void reply.clearCookie(this.settings.loginCookieName, { httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
  }
}
