import { PASSWORD, type JsonAnswer } from './gateway-fixture.js';

/**
 * A cookie-only browser client of the gateway: it holds the session cookie and the CSRF token,
 * never a token, and sends the Origin a browser would.
 */
export class Browser {
  cookie: string | undefined;
  csrfToken: string | undefined;
  /** The last Set-Cookie for the session cookie. */
  lastSetCookie: string | undefined;

  constructor(
    private readonly gateway: { url: string; origin: string },
    readonly cookieName = 'authmesh_session',
  ) {}

  async login(email: string, password = PASSWORD): Promise<JsonAnswer<{ authenticated: boolean; csrfToken: string; sub: string }>> {
    const res = await this.send<{ authenticated: boolean; csrfToken: string; sub: string }>('POST', '/session/login', { email, password });
    if (res.status === 200) this.csrfToken = res.body.csrfToken;
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
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${this.cookieName}=`));
    if (setCookie !== undefined) {
      this.lastSetCookie = setCookie;
      const value = setCookie.slice(this.cookieName.length + 1).split(';', 1)[0]!;
      this.cookie = value === '' || /max-age=0/i.test(setCookie) ? undefined : value;
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
