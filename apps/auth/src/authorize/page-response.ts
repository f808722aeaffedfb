import type { FastifyReply } from 'fastify';
import type { SafeHtml } from './html.js';

/** What a hosted page needs besides its HTML: the origins its forms may lead to (CSP form-action). */
export interface PageOptions {
  /**
   * Origins a form on this page may end up at: CSP `form-action` also governs the redirects that
   * follow a form submission (CSP Level 3 §6.3.3 in Chromium), so the login and consent forms need
   * the client's redirect origin, and the logout form its post-logout origin.
   */
  formTargets?: readonly string[];
}

/**
 * The headers of every hosted page: no script at all and styles only from auth's own stylesheet
 * (XSS through an injected value can't run), no framing (clickjacking of the login and consent
 * buttons: `frame-ancestors 'none'` and, for older browsers, X-Frame-Options), no caching of pages
 * that hold CSRF tokens or account details, and no Referer leaking the authorization request
 * (its `state`, `code_challenge`) to the stylesheet or another site.
 */
export function pageHeaders(options: PageOptions = {}): Record<string, string> {
  const formAction = ["'self'", ...new Set(options.formTargets ?? [])].join(' ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'referrer-policy': 'no-referrer',
  };
}

export function sendPage(reply: FastifyReply, status: number, page: SafeHtml, options: PageOptions = {}): FastifyReply {
  return reply.code(status).headers(pageHeaders(options)).send(page.value);
}

/**
 * A redirect to a URI already checked against a registered list. After a POST it is 303 (RFC 9700
 * §4.12: a 307 would make the browser resend the password to the client).
 */
export function sendRedirect(reply: FastifyReply, location: string, status: 302 | 303 = 302): FastifyReply {
  return reply.code(status).headers({ location, 'cache-control': 'no-store', pragma: 'no-cache', 'referrer-policy': 'no-referrer' }).send();
}

/** The origin of an absolute URI (for CSP form-action), or undefined. */
export function originOf(uri: string): string | undefined {
  try {
    const origin = new URL(uri).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
