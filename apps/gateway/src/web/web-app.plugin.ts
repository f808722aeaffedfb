import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fileURLToPath } from 'node:url';
import { type WebFile, WebFiles, ifNoneMatchMatches } from './web-files.js';

/**
 * The app's files: `apps/gateway/web/` next to `src/`. The same relative path holds from
 * `dist/apps/gateway/src/web/` because `npm run build` copies the folder to `dist/apps/gateway/web/`
 * (tsc copies no .html/.js/.css).
 */
export const WEB_APP_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

export interface WebAppOptions {
  /** Where browsers reach auth's own pages (GATEWAY_AUTH_PUBLIC_URL): the change-password link. */
  readonly authPublicUrl: string;
  /** GATEWAY_PUBLIC_ORIGIN: where auth's change-password page sends the user back. */
  readonly publicOrigin: string;
  /** The folder served (default WEB_APP_ROOT); for tests. */
  readonly root?: string;
}

/** What `GET /app-config.json` answers: the browser URLs the app can't know by itself. */
export interface WebAppConfig {
  /** Auth's browser-facing origin. */
  readonly authUrl: string;
  /** Auth's hosted change-password page, coming back to `/account`. */
  readonly changePasswordUrl: string;
}

/**
 * The pages' Content-Security-Policy: scripts, styles and requests from this origin only, no inline
 * script or style (a script injected into the page, the XSS that would read the CSRF token and act
 * as the user, does not run), no framing (clickjacking: frame-ancestors, with X-Frame-Options for
 * older browsers), no `<base>` that would re-point relative URLs.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * HTML is revalidated on every load (`no-cache`: served from cache only after a 304 on its ETag), so
 * a deploy reaches every browser at once. Assets are not fingerprinted (there is no build step), so
 * they get a short lifetime rather than `immutable`: a page and its modules can differ for at most
 * five minutes after a deploy, and a return visit still skips the round-trip.
 */
export const HTML_CACHE_CONTROL = 'no-cache';
export const ASSET_CACHE_CONTROL = 'public, max-age=300';

function securityHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', WEB_APP_CSP);
  // A script or stylesheet is run only with its declared type (MIME sniffing would run an uploaded
  // or mislabelled body as script).
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('x-frame-options', 'DENY');
  // `same-origin`, not `no-referrer`: with `no-referrer` a same-origin fetch POST carries
  // `Origin: null` (Fetch §3.1.6), which the gateway's CSRF check refuses; links to auth send nothing.
  void reply.header('referrer-policy', 'same-origin');
  // Another site's window opened from here gets no handle on this one (tabnabbing, XS-Leaks).
  void reply.header('cross-origin-opener-policy', 'same-origin');
}

/** The browser URLs of the app's configuration, from the gateway's settings. */
export function webAppConfigOf(options: Pick<WebAppOptions, 'authPublicUrl' | 'publicOrigin'>): WebAppConfig {
  const authUrl = options.authPublicUrl.replace(/\/+$/, '');
  const returnTo = `${options.publicOrigin}/account`;
  return { authUrl, changePasswordUrl: `${authUrl}/account/password?return_to=${encodeURIComponent(returnTo)}` };
}

/** The app's pages: the path each is served at, and its file. */
export const WEB_APP_PAGES: Readonly<Record<string, string>> = { '/': 'index.html', '/account': 'account.html' };

/**
 * The web app at `/` (index.html), `/account` (account.html), `/assets/<file>` (its modules and
 * CSS) and `/app-config.json`: plain files, no framework, no build step. Registered encapsulated:
 * its hook (the security headers) covers its own routes only.
 *
 * Not @fastify/static: version 10 `require`s content-disposition 3, an ES module, which Jest's
 * module loader cannot load on Node 20 (it supports require(esm) from Node 24.9), so every test
 * that boots the gateway in-process would fail. The files are few and small; WebFiles holds them.
 */
export async function webAppPlugin(fastify: FastifyInstance, options: WebAppOptions): Promise<void> {
  const files = WebFiles.load(options.root ?? WEB_APP_ROOT, Object.values(WEB_APP_PAGES));
  const config = webAppConfigOf(options);

  fastify.addHook('onRequest', async (_request, reply) => securityHeaders(reply));

  const serve = (request: FastifyRequest, reply: FastifyReply, file: WebFile, cacheControl: string): FastifyReply => {
    void reply.header('cache-control', cacheControl).header('etag', file.etag);
    const inm = request.headers['if-none-match'];
    if (ifNoneMatchMatches(typeof inm === 'string' ? inm : undefined, file.etag)) return reply.code(304).send();
    return reply.type(file.contentType).send(file.body);
  };

  for (const [path, name] of Object.entries(WEB_APP_PAGES)) {
    const file = files.get(name)!;
    fastify.get(path, async (request, reply) => serve(request, reply, file, HTML_CACHE_CONTROL));
  }
  // One segment, looked up by exact name: `..`, `%2e%2e`, `%2f` or a dotfile name no file.
  fastify.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const file = files.get(`assets/${request.params.file}`);
    if (file === undefined) return reply.callNotFound();
    return serve(request, reply, file, ASSET_CACHE_CONTROL);
  });
  fastify.get('/app-config.json', async (_request, reply) => {
    void reply.header('cache-control', HTML_CACHE_CONTROL);
    return config;
  });
}
