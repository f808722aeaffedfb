import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewaySettings } from '../config/gateway.config.js';
import { CsrfFailedError } from '../errors/gateway-errors.js';

// RFC 9110 §9.2.1: GET, HEAD, OPTIONS (and TRACE, which the gateway does not route) are safe.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface CsrfInput {
  readonly method: string;
  readonly origin: string | undefined;
  readonly referer: string | undefined;
  readonly csrfToken: string | undefined;
}

/**
 * The origins a cookie-authenticated or login request may come from: the gateway's own (one, or
 * both loopback spellings under the default origin) and GATEWAY_CORS_ORIGINS. It remembers which
 * are the gateway's own, so a refusal can name them without listing the CORS allow-list to anyone
 * who asks.
 */
export class OriginAllowList extends Set<string> {
  constructor(
    readonly own: readonly string[],
    readonly others: readonly string[],
  ) {
    super([...own, ...others]);
  }
}

/** The allowed origins of a gateway's settings. */
export function allowedOriginsOf(settings: Pick<GatewaySettings, 'publicOrigins' | 'corsOrigins'>): OriginAllowList {
  return new OriginAllowList(settings.publicOrigins, settings.corsOrigins);
}

/** What a refusal says was expected: `Origin http://127.0.0.1:3000 or http://localhost:3000`. */
function expectedOrigins(allowed: ReadonlySet<string>): string {
  const own = allowed instanceof OriginAllowList ? allowed.own : [...allowed];
  const more = allowed instanceof OriginAllowList && allowed.others.length > 0 ? ' (or an allowed CORS origin)' : '';
  return `Origin ${own.join(' or ')}${more}`;
}

/** True for methods that need no CSRF check. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * The origin a browser says the request comes from: `Origin`, or without it the origin of
 * `Referer` (older browsers omit Origin on same-origin requests). `Origin: null` (sandboxed or
 * privacy-redirected) counts as unknown, i.e. foreign.
 */
export function requestOrigin(origin: string | undefined, referer: string | undefined): string | undefined {
  if (origin !== undefined) return origin;
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/**
 * The origin half of the check alone (login, where no session exists yet): a browser's request
 * from a foreign origin is refused; a request with neither Origin nor Referer (a non-browser
 * client) passes.
 */
export function checkOriginIfPresent(input: Pick<CsrfInput, 'origin' | 'referer'>, allowedOrigins: ReadonlySet<string>): void {
  if (input.origin === undefined && input.referer === undefined) return;
  const origin = requestOrigin(input.origin, input.referer);
  if (origin === undefined || !allowedOrigins.has(origin))
    throw new CsrfFailedError(`foreign origin ${JSON.stringify(origin ?? input.origin)}`, expectedOrigins(allowedOrigins));
}

/**
 * OWASP CSRF cheat sheet, for a cookie-authenticated request with an unsafe method: a synchronizer
 * token (the session's, sent back in `x-csrf-token`, compared in constant time) AND a same-origin
 * check (Origin, or Referer, must be the gateway's public origin or an allow-listed one). SameSite=Lax
 * alone leaves same-site attackers (a sibling subdomain) and old browsers.
 */
export function checkCsrf(input: CsrfInput, expectedToken: string, allowedOrigins: ReadonlySet<string>): void {
  if (isSafeMethod(input.method)) return;
  const origin = requestOrigin(input.origin, input.referer);
  if (origin === undefined)
    throw new CsrfFailedError('no Origin or Referer on a cookie-authenticated unsafe request', expectedOrigins(allowedOrigins));
  if (!allowedOrigins.has(origin)) throw new CsrfFailedError(`foreign origin ${JSON.stringify(origin)}`, expectedOrigins(allowedOrigins));
  if (input.csrfToken === undefined || input.csrfToken === '') throw new CsrfFailedError('no x-csrf-token header');
  // Hashing first gives equal lengths, so timingSafeEqual neither throws nor leaks the length.
  const a = createHash('sha256').update(input.csrfToken).digest();
  const b = createHash('sha256').update(expectedToken).digest();
  if (!timingSafeEqual(a, b)) throw new CsrfFailedError('x-csrf-token does not match the session');
}
