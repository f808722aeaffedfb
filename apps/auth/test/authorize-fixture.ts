import { createHash, randomBytes } from 'node:crypto';
import { GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN } from '@authmesh/contracts';

/** A first-party confidential client of the code flow (skips consent). */
export const WEB_CLIENT = {
  clientId: 'webapp',
  secret: 'webapp-secret-0123456789AbCdEfGhIjKl',
  scopes: ['orders:read', 'orders:write'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, 'refresh_token'],
  redirectUris: ['http://127.0.0.1:5555/callback', 'https://app.test/cb?tenant=1'],
  postLogoutRedirectUris: ['http://127.0.0.1:5555/signed-out'],
  firstParty: true,
};

/**
 * A third-party client (consent page). Confidential: the seed learns public clients
 * (`public: true`, auth method none) with H1's client registration.
 */
export const THIRD_PARTY_CLIENT = {
  clientId: 'thirdparty',
  secret: 'thirdparty-secret-0123456789AbCdEfGhIjKl',
  scopes: ['orders:read'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE],
  redirectUris: ['https://third.test/callback'],
  postLogoutRedirectUris: ['https://third.test/bye'],
  firstParty: false,
};

/** A first-party confidential web app on the code flow (like the gateway's BFF), for the token-endpoint tests. */
export const CODE_FLOW_WEB = {
  clientId: 'webapp',
  secret: 'webapp-secret-0123456789AbCdEfGhIjKl',
  scopes: ['openid', 'orders:read'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
  redirectUris: ['https://app.example.com/callback'],
  postLogoutRedirectUris: ['https://app.example.com/'],
  firstParty: true,
};

/** A public client (a single-page or mobile app): no secret, PKCE is its only proof. */
export const CODE_FLOW_SPA = {
  clientId: 'spa',
  public: true,
  scopes: ['openid', 'orders:read'],
  audiences: ['orders'],
  grantTypes: [GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN],
  redirectUris: ['http://127.0.0.1:8080/cb'],
};

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * A browser's cookies for one origin, as the tests need them: Set-Cookie stored by name (a
 * Max-Age=0 or expired one deletes), sent back on every request.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(res: Response): string[] {
    const set = res.headers.getSetCookie();
    for (const line of set) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]!) < new Date()),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return set;
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.header());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(res);
    return res;
  }

  postForm(url: string, values: Record<string, string>): Promise<Response> {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(values).toString(),
    });
  }
}

/** The hidden and named inputs of the form `formId` on a page (values HTML-unescaped). */
export function formFields(page: string, formId: string): Record<string, string> {
  const start = page.indexOf(`<form id="${formId}"`);
  if (start < 0) throw new Error(`no form #${formId} in the page`);
  const form = page.slice(start, page.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = unescape(m[2]!);
  return fields;
}

function unescape(v: string): string {
  return v
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
