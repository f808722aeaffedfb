import { HostCookies, formOf } from '../../../tools/demo/browser-login.js';
import { PASSWORD, type JsonAnswer } from './gateway-fixture.js';

/** What `GET /session` answers for a live session. */
export interface LiveSession {
  authenticated: boolean;
  csrfToken: string;
  sub: string;
}

/** Where a login stopped when it did not finish: the step, its status and the page auth or the gateway answered. */
export interface LoginStop {
  step: 'start' | 'authorize' | 'login-form' | 'callback';
  status: number;
  location: string | null;
  html: string;
}

/**
 * A cookie-only browser client of the gateway: it holds the session cookie and the CSRF token,
 * never a token, and sends the Origin a browser would. `login` runs the real authorization code
 * flow over HTTP, as a browser follows it: the gateway's `/session/login`, auth's authorization
 * endpoint and hosted login form (with its CSRF field and auth's cookies), back to the gateway's
 * `/session/callback`. The password goes to auth only. Auth's form is read and its cookies kept by
 * tools/demo/browser-login.ts's `formOf` and `HostCookies`, the parser `npm run demo` uses.
 */
export class Browser {
  cookie: string | undefined;
  csrfToken: string | undefined;
  /** The last Set-Cookie for the session cookie. */
  lastSetCookie: string | undefined;
  /** The login cookie of a started login (`authmesh_login`). */
  loginCookie: string | undefined;
  /** Auth's cookies (the SSO session, the login form's CSRF cookie): a second login may skip the form. */
  readonly authCookies = new HostCookies();
  /** Where the last login stopped, when it did not finish. */
  lastStop: LoginStop | undefined;

  constructor(
    private readonly gateway: { url: string; origin: string },
    readonly cookieName = 'authmesh_session',
    readonly loginCookieName = 'authmesh_login',
  ) {}

  /**
   * Signs in through the code flow; on success `{ status: 200, body: GET /session }`, else the
   * status of the step that stopped it, with `lastStop` telling which.
   */
  async login(email: string, password = PASSWORD, returnTo = '/'): Promise<JsonAnswer<LiveSession>> {
    this.lastStop = undefined;
    const start = await this.startLogin(returnTo);
    if (start.status !== 302) return this.stop('start', start);
    const location = start.headers.get('location')!;
    const callback = await this.authorize(location, email, password);
    if (callback === undefined) return { status: this.lastStop!.status, headers: new Headers(), body: {} as LiveSession };
    const finished = await this.finishLogin(callback);
    if (finished.status !== 302) return this.stop('callback', finished);
    const session = await this.send<LiveSession>('GET', '/session');
    if (session.status === 200 && session.body.authenticated) this.csrfToken = session.body.csrfToken;
    return session;
  }

  /** `GET /session/login?return_to=…` without following the redirect; keeps the login cookie. */
  async startLogin(returnTo = '/'): Promise<Response> {
    const res = await fetch(`${this.gateway.url}/session/login?return_to=${encodeURIComponent(returnTo)}`, {
      redirect: 'manual',
      headers: this.cookieHeaders(),
    });
    this.takeGatewayCookies(res);
    return res;
  }

  /**
   * At auth: the authorization endpoint, then (no SSO session yet) its hosted login form posted
   * with the email and password; the redirect back to the gateway, or undefined (`lastStop`).
   */
  async authorize(authorizeUrl: string, email: string, password: string): Promise<string | undefined> {
    const page = await fetch(authorizeUrl, { redirect: 'manual', headers: this.authHeaders() });
    this.authCookies.take(page);
    if (page.status === 302 || page.status === 303) return page.headers.get('location')!;
    const html = await page.text();
    const form = formOf(html, 'login-form');
    if (page.status !== 200 || !form) return this.stopAt('authorize', page, html);
    const posted = await fetch(new URL(form.action || authorizeUrl, authorizeUrl), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...this.authHeaders(), 'content-type': 'application/x-www-form-urlencoded', origin: new URL(authorizeUrl).origin },
      body: new URLSearchParams({ ...form.fields, email, password }).toString(),
    });
    this.authCookies.take(posted);
    if (posted.status === 302 || posted.status === 303) {
      const next = new URL(posted.headers.get('location')!, authorizeUrl).href;
      // Auth may first send the browser back to its authorization endpoint (now with a session).
      if (next.startsWith(new URL(authorizeUrl).origin)) return this.authorize(next, email, password);
      return next;
    }
    return this.stopAt('login-form', posted, await posted.text());
  }

  /** The redirect back from auth (`…/session/callback?code=…&state=…&iss=…`), sent to the gateway as that browser. */
  async finishLogin(callbackUrl: string): Promise<Response> {
    const url = new URL(callbackUrl);
    const res = await fetch(`${this.gateway.url}${url.pathname}${url.search}`, { redirect: 'manual', headers: this.cookieHeaders() });
    this.takeGatewayCookies(res);
    return res;
  }

  /**
   * One request as a browser page of the public origin would send it: the cookie, Origin, and the
   * CSRF token unless `csrf: false`.
   */
  async send<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options: { csrf?: boolean | string; origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<JsonAnswer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie !== undefined) headers.cookie = `${this.cookieName}=${this.cookie}`;
    const origin = options.origin === undefined ? this.gateway.origin : options.origin;
    if (origin !== null) headers.origin = origin;
    const csrf = options.csrf === undefined || options.csrf === true ? this.csrfToken : options.csrf === false ? undefined : options.csrf;
    if (csrf !== undefined) headers['x-csrf-token'] = csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.gateway.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    this.takeGatewayCookies(res);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  private cookieHeaders(): Record<string, string> {
    const cookies = [
      this.cookie === undefined ? undefined : `${this.cookieName}=${this.cookie}`,
      this.loginCookie === undefined ? undefined : `${this.loginCookieName}=${this.loginCookie}`,
    ].filter((c) => c !== undefined);
    return cookies.length ? { cookie: cookies.join('; ') } : {};
  }

  private authHeaders(): Record<string, string> {
    const cookie = this.authCookies.header;
    return { accept: 'text/html', ...(cookie === undefined ? {} : { cookie }) };
  }

  private takeGatewayCookies(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      for (const [name, set] of [
        [this.cookieName, (v: string | undefined) => (this.cookie = v)],
        [this.loginCookieName, (v: string | undefined) => (this.loginCookie = v)],
      ] as const) {
        if (!line.startsWith(`${name}=`)) continue;
        if (name === this.cookieName) this.lastSetCookie = line;
        const value = line.slice(name.length + 1).split(';', 1)[0]!;
        set(value === '' || /max-age=0/i.test(line) ? undefined : value);
      }
    }
  }

  private async stop(step: LoginStop['step'], res: Response): Promise<JsonAnswer<LiveSession>> {
    const text = await res.text();
    this.lastStop = { step, status: res.status, location: res.headers.get('location'), html: text };
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { html: text };
    }
    return { status: res.status, headers: res.headers, body: body as LiveSession };
  }

  private stopAt(step: LoginStop['step'], res: Response, html: string): undefined {
    this.lastStop = { step, status: res.status, location: res.headers.get('location'), html };
    return undefined;
  }
}
