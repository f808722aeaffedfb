import { renderError } from '@authmesh/platform';
import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

const logger = new Logger('SessionLogin');

/**
 * The headers of the gateway's own HTML (the sign-in error page): no script, no style, no
 * framing (clickjacking), no caching, no referrer leaking the callback's code or state.
 */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** True when the client asked for JSON rather than a page (an API client, not a browser navigation). */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/**
 * Answers a failed browser login: the platform's status, headers and `{ code, message }` body,
 * as JSON to a client that asked for JSON, else as a small page — `<h1>`, the message, the
 * stable code in `<p id="error-code">` and a link back to `/`. Never a session, never a redirect.
 */
export function sendLoginError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const rendered = renderError(error, request.id, logger);
  void reply.code(rendered.status).headers(rendered.headers).header('cache-control', 'no-store');
  if (wantsJson(request)) return reply.send(rendered.body);
  const body = rendered.body as { code?: unknown; message?: unknown } | undefined;
  const code = typeof body?.code === 'string' ? body.code : 'internal_error';
  const message = typeof body?.message === 'string' ? body.message : 'Sign-in failed.';
  const html =
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Sign-in failed</title></head>\n<body>\n<main>\n<h1>Sign-in failed</h1>\n' +
    `<p id="error-message" role="alert">${escapeHtml(message)}</p>\n<p>Error code:</p>\n<p id="error-code">${escapeHtml(code)}</p>\n` +
    '<p><a id="back-home" href="/">Back to the start page</a></p>\n</main>\n</body>\n</html>\n';
  return reply.headers(HTML_SECURITY_HEADERS).type('text/html; charset=utf-8').send(html);
}
