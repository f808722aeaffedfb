/** The bench's calls to auth: client-credentials tokens (RFC 6749 §4.4) and the key admin API authctl uses. */

export interface ClientCredentials {
  readonly clientId: string;
  readonly secret: string;
}

/** A key as `GET /admin/keys` lists it (the fields the bench reads). */
export interface KeyView {
  readonly kid: string;
  readonly state: 'pending' | 'active' | 'retiring' | 'retired' | 'revoked';
}

export class AuthClient {
  constructor(
    private readonly url: string,
    private readonly admin: ClientCredentials,
  ) {}

  /** An access token for `client`, as authctl asks for one: Basic client authentication, form body. */
  async token(client: ClientCredentials, audience: string, scope: string): Promise<string> {
    // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
    const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`).toString('base64');
    const res = await fetch(`${this.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience, scope }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !body.access_token)
      throw new Error(`POST /oauth/token for ${client.clientId} answered ${res.status}: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async keys(): Promise<KeyView[]> {
    return (await this.call<{ keys: KeyView[] }>('GET', '/admin/keys')).keys;
  }

  /** Planned rotation: a new pending key, published now, signing after AUTH_KEY_PUBLISH_DELAY_S. */
  async rotate(reason: string): Promise<KeyView> {
    return (await this.call<{ key: KeyView }>('POST', '/admin/keys/rotate', { reason }, 201)).key;
  }

  /** Emergency revocation: out of the JWKS at once, its tokens refused everywhere; another key signs. */
  async revoke(kid: string, reason: string): Promise<{ revoked: KeyView; active: KeyView }> {
    return this.call('POST', `/admin/keys/${encodeURIComponent(kid)}/revoke`, { reason }, 200);
  }

  private async call<T>(method: string, path: string, body?: object, expected = 200): Promise<T> {
    const token = await this.token(this.admin, 'auth', 'auth:admin');
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}
