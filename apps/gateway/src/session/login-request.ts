import { InjectConfig } from '@authmesh/platform';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '../config/gateway.config.js';
import { CsrfFailedError, UnsupportedMediaTypeError } from '../errors/gateway-errors.js';
import { allowedOriginsOf, checkOriginIfPresent } from './csrf.js';

export interface LoginRequestHeaders {
  readonly contentType: string | undefined;
  readonly secFetchSite: string | undefined;
  readonly origin: string | undefined;
  readonly referer: string | undefined;
}

/**
 * Login CSRF defences for `POST /session/login` (logging a victim's browser into the attacker's
 * account), in the order they are checked:
 *
 * 1. the body must be `application/json`: a cross-site HTML form can't send that, and a
 *    cross-site `fetch` with it needs a CORS preflight, which only GATEWAY_CORS_ORIGINS pass (415);
 * 2. `Sec-Fetch-Site: cross-site` (Fetch Metadata, set by the browser, not forgeable by a page) is
 *    refused unless the page's Origin is allow-listed: a configured CORS origin on another site
 *    is a legitimate first party (403 `csrf_failed`);
 * 3. an Origin or Referer, when present, must be the public origin or allow-listed (403).
 *
 * A request with none of these headers (a non-browser client) passes 2 and 3.
 */
export function checkLoginRequest(headers: LoginRequestHeaders, allowedOrigins: ReadonlySet<string>): void {
  const mediaType = headers.contentType?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') throw new UnsupportedMediaTypeError(`content-type ${JSON.stringify(headers.contentType ?? null)}`);
  if (headers.secFetchSite?.trim().toLowerCase() === 'cross-site' && !(headers.origin !== undefined && allowedOrigins.has(headers.origin)))
    throw new CsrfFailedError(`Sec-Fetch-Site: cross-site from ${JSON.stringify(headers.origin ?? null)}`);
  checkOriginIfPresent(headers, allowedOrigins);
}

/**
 * Runs `checkLoginRequest` as a guard: guards run before pipes, so a form-encoded login is a 415
 * whatever its fields, never a 400 from body validation (or a login).
 */
@Injectable()
export class LoginRequestGuard implements CanActivate {
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(@InjectConfig() config: GatewayConfig) {
    this.allowedOrigins = allowedOriginsOf(config.gateway);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const h = (name: string): string | undefined => {
      const v = request.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    checkLoginRequest(
      { contentType: h('content-type'), secFetchSite: h('sec-fetch-site'), origin: h('origin'), referer: h('referer') },
      this.allowedOrigins,
    );
    return true;
  }
}
