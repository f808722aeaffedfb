/**
 * A browser's sign-in to the gateway over plain HTTP, as the code flow runs it (issue 18): the
 * gateway's `GET /session/login` → auth's `/oauth/authorize` → auth's hosted login form
 * (`#login-form`, posted with its hidden fields and auth's cookies) → the gateway's
 * `/session/callback` → a session cookie. The password goes to auth's page only: the gateway never
 * sees it. Used by `npm run demo` and by the e2e tests that need a browser session outside
 * e2e/gateway/ (the topology tests); no Chromium needed.
 */
import { encodeBody } from './http.js';

/**
 * Cookies of one host (name → value), taken from Set-Cookie; a cleared cookie is removed. Keyed by
 * host, not origin, as browsers do (RFC 6265 §8.5: cookies do not isolate ports), so a gateway
 * replica and its round-robin on 127.0.0.1 share the login cookie as they would in a browser.
 * Also the jar of auth's cookies in e2e/gateway/support/browser.ts.
 */
export class HostCookies {
  private readonly values = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.values.delete(name);
      else this.values.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  /** The Cookie header value of every cookie held, or undefined when none. */
  get header(): string | undefined {
    return this.values.size ? [...this.values].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }
}

/** A `<form id=…>` of a page: its action and its named inputs (hidden ones included), HTML-decoded. */
export interface PageForm {
  action: string;
  fields: Record<string, string>;
}

const decode = (text: string): string =>
  text
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/g))
    out[m[1]!.toLowerCase()] = decode(m[3] ?? m[4] ?? m[5] ?? '');
  return out;
}

/** The form with id `id` in `html`, or undefined. */
export function formOf(html: string, id: string): PageForm | undefined {
  const open = [...html.matchAll(/<form\b[^>]*>/gi)].find((m) => attributes(m[0]).id === id);
  if (!open) return undefined;
  const end = html.indexOf('</form>', open.index);
  const fields: Record<string, string> = {};
  for (const m of html.slice(open.index, end === -1 ? undefined : end).matchAll(/<input\b[^>]*>/gi)) {
    const a = attributes(m[0]);
    if (a.name !== undefined) fields[a.name] = a.value ?? '';
  }
  return { action: attributes(open[0]).action ?? '', fields };
}

/** Why a sign-in stopped: the URL, its status, and the page (auth's error page, the re-rendered form). */
export class SignInStopped extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly page: string,
  ) {
    super(`the sign-in stopped at ${url} with ${status}: ${page.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
}

/** What a signed-in browser holds: the session cookie (as a Cookie header value) and the CSRF token. */
export interface BrowserSession {
  /** `authmesh_session=…` (or `__Host-authmesh_session=…` over https), ready for a Cookie header. */
  cookie: string;
  csrfToken: string;
  sub: string;
}

const MAX_HOPS = 12;

/**
 * A cookie-holding HTTP client that follows the code flow like a browser: one cookie jar per
 * host, redirects followed by hand (so each Set-Cookie is kept), and
 * the hosted login form posted with what the user would type. A second `signIn` reuses auth's SSO
 * cookie, so it needs no password (single sign-on).
 */
export class CodeFlowBrowser {
  private readonly jars = new Map<string, HostCookies>();

  constructor(
    readonly gatewayUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private jar(url: string): HostCookies {
    const host = new URL(url).hostname;
    let jar = this.jars.get(host);
    if (!jar) this.jars.set(host, (jar = new HostCookies()));
    return jar;
  }

  /** One request as the browser sends it: its cookies for that origin, the answer's cookies kept. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const jar = this.jar(url);
    const cookie = jar.header;
    const headers: Record<string, string> = { accept: 'text/html,application/json', ...init.headers, ...(cookie ? { cookie } : {}) };
    // A form post carries its page's Origin, as a browser sends it (auth's CSRF check reads it).
    if (init.form) headers.origin ??= new URL(url).origin;
    const body = encodeBody(headers, init.form, init.json);
    const res = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    jar.take(res);
    return res;
  }

  /** The value of cookie `name` the browser holds for `url`'s origin. */
  cookie(url: string, name: string): string | undefined {
    return this.jar(url).get(name);
  }

  /**
   * Signs in: follows the flow from `GET /session/login?return_to=…` to the gateway's redirect
   * after `/session/callback`, posting auth's `#login-form` with `email` and `password` when auth
   * shows it. Throws SignInStopped where a step answers anything else (a wrong password: auth's
   * re-rendered form, 401).
   */
  async signIn(email: string, password: string, returnTo = '/'): Promise<BrowserSession> {
    let url = `${this.gatewayUrl}/session/login?return_to=${encodeURIComponent(returnTo)}`;
    let res = await this.request(url);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, url).href;
        // The gateway's callback redirected (to return_to): the session exists. Its origin is the
        // gateway's public one, which may be a balancer in front of `gatewayUrl` (same host: same
        // cookies) or, when the login started at another loopback spelling, another host: the
        // browser holds the session cookie for the callback's host only.
        if (new URL(url).pathname === '/session/callback')
          return this.session(new URL(url).hostname === new URL(this.gatewayUrl).hostname ? this.gatewayUrl : new URL(url).origin);
        url = next;
        res = await this.request(url);
        continue;
      }
      const page = await res.text();
      const form = res.status === 200 ? formOf(page, 'login-form') : undefined;
      if (!form) throw new SignInStopped(url, res.status, page);
      const action = new URL(form.action || url, url).href;
      res = await this.request(action, { form: { ...form.fields, email, password } });
      url = action;
      if (res.status === 401 || res.status === 400 || res.status === 429 || res.status === 403)
        throw new SignInStopped(url, res.status, await res.text());
    }
    throw new SignInStopped(url, res.status, `more than ${MAX_HOPS} redirects`);
  }

  /** `GET /session` with the cookie (at `gatewayUrl`, or the given origin): the session cookie and CSRF token, or SignInStopped. */
  async session(at = this.gatewayUrl): Promise<BrowserSession> {
    const url = `${at}/session`;
    const res = await this.request(url, { headers: { accept: 'application/json' } });
    const text = await res.text();
    const body = (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {};
    const name = ['__Host-authmesh_session', 'authmesh_session'].find((n) => this.cookie(url, n) !== undefined);
    if (res.status !== 200 || body.authenticated !== true || name === undefined) throw new SignInStopped(url, res.status, text);
    return { cookie: `${name}=${this.cookie(url, name)!}`, csrfToken: String(body.csrfToken), sub: String(body.sub) };
  }

  /**
   * `POST /session/logout` (CSRF header, the page's Origin), then the browser's navigation to the
   * `logoutUrl` it answers (auth's end-session endpoint, which ends the SSO session), followed to
   * its end. Returns the status of the gateway's answer and where the navigation ended.
   * `gatewayOrigin`: the page's Origin (the gateway's public origin, when `gatewayUrl` is a replica).
   */
  async signOut(session: BrowserSession, gatewayOrigin = new URL(this.gatewayUrl).origin): Promise<{ status: number; landedOn?: string }> {
    const res = await this.request(`${this.gatewayUrl}/session/logout`, {
      method: 'POST',
      // No body: the gateway's session routes take none (no route of it accepts a password).
      headers: { origin: gatewayOrigin, 'x-csrf-token': session.csrfToken },
    });
    const text = await res.text();
    const body = (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as { logoutUrl?: unknown }) : {};
    if (res.status !== 200 || typeof body.logoutUrl !== 'string') return { status: res.status };
    let url = body.logoutUrl;
    // Auth's end-session endpoint: the navigation is over once it sends the browser elsewhere.
    const authOrigin = new URL(url).origin;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const step = await this.request(url);
      const location = step.headers.get('location');
      if (step.status >= 300 && step.status < 400 && location) {
        url = new URL(location, url).href;
        if (new URL(url).origin !== authOrigin) return { status: res.status, landedOn: url };
        continue;
      }
      // A confirmation page (no valid id_token_hint): the user presses "Sign out".
      const form = step.status === 200 ? formOf(await step.text(), 'logout-form') : undefined;
      if (!form) return { status: res.status, landedOn: url };
      url = new URL(form.action || url, url).href;
      const posted = await this.request(url, { form: form.fields });
      const next = posted.headers.get('location');
      if (!(posted.status >= 300 && posted.status < 400 && next)) return { status: res.status, landedOn: url };
      url = new URL(next, url).href;
      if (new URL(url).origin !== authOrigin) return { status: res.status, landedOn: url };
    }
    return { status: res.status, landedOn: url };
  }
}
