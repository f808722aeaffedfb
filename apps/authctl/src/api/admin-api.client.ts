import type { AuthctlConfig } from '../config/authctl.config.js';
import { AuthUnavailableError, CredentialsRejectedError, ServerRefusedError } from '../cli/errors.js';
import {
  GRANT_CLIENT_CREDENTIALS,
  type ApiKeyView,
  type CreatedApiKeyView,
  type NewApiKey,
  type ClientList,
  type CreatedClientView,
  type DisabledClient,
  type KeyEventList,
  type KeyList,
  type NewClient,
  type Revocation,
  type RevocationResult,
  type RevokeKeyResult,
  type RotateResult,
} from '@authmesh/contracts';

/** The scope and audience every admin route of auth requires. */
export const ADMIN_SCOPE = 'auth:admin';
export const ADMIN_AUDIENCE = 'auth';

type Fetch = typeof fetch;

/**
 * auth's admin HTTP API, as the CLI uses it: one client-credentials token per run (RFC 6749
 * §4.4), then plain JSON calls. Every failure becomes a typed error that carries its exit code:
 * a 4xx is the server refusing the operation; unreachable, timeout, 429 and 5xx mean auth is not
 * usable now; a refused token request or a 401/403 mean the CLI's own credentials are wrong.
 *
 * Global `fetch` (undici) rather than a client library: one request per call, with a timeout
 * signal that also bounds reading the body.
 */
export class AdminApiClient {
  private token?: Promise<string>;

  /** `config` is read on first use, so `--help` and usage errors need no configuration. */
  constructor(
    private readonly config: () => AuthctlConfig,
    private readonly fetchImpl: Fetch = fetch,
  ) {}

  listKeys(): Promise<KeyList> {
    return this.call('GET', '/admin/keys');
  }

  rotateKeys(options: { now?: boolean; reason?: string }): Promise<RotateResult> {
    return this.call('POST', '/admin/keys/rotate', options);
  }

  revokeKey(kid: string, reason: string): Promise<RevokeKeyResult> {
    return this.call('POST', `/admin/keys/${encodeURIComponent(kid)}/revoke`, { reason });
  }

  /** The audit trail, newest first; with `kid` (a full kid), that key's whole history. */
  keyEvents(kid?: string): Promise<KeyEventList> {
    return this.call('GET', kid === undefined ? '/admin/keys/events' : `/admin/keys/events?kid=${encodeURIComponent(kid)}`);
  }

  createClient(client: NewClient): Promise<CreatedClientView> {
    return this.call('POST', '/admin/clients', client);
  }

  listClients(): Promise<ClientList> {
    return this.call('GET', '/admin/clients');
  }

  disableClient(clientId: string): Promise<DisabledClient> {
    return this.call('POST', `/admin/clients/${encodeURIComponent(clientId)}/disable`);
  }

  createApiKey(key: NewApiKey): Promise<CreatedApiKeyView> {
    return this.call('POST', '/admin/api-keys', key);
  }

  listApiKeys(owner?: { type: string; id: string }): Promise<{ apiKeys: ApiKeyView[] }> {
    const query = owner ? `?ownerType=${encodeURIComponent(owner.type)}&ownerId=${encodeURIComponent(owner.id)}` : '';
    return this.call('GET', `/admin/api-keys${query}`);
  }

  revokeApiKey(id: string): Promise<ApiKeyView> {
    return this.call('POST', `/admin/api-keys/${encodeURIComponent(id)}/revoke`);
  }

  rotateApiKey(id: string, graceSeconds: number): Promise<CreatedApiKeyView> {
    return this.call('POST', `/admin/api-keys/${encodeURIComponent(id)}/rotate`, { graceSeconds });
  }

  revoke(revocation: Revocation): Promise<RevocationResult> {
    return this.call('POST', '/admin/revocations', revocation);
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const token = await this.accessToken();
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    // No content-type without a body: Fastify answers an empty application/json body with a 400.
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.send(what, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await this.readJson(what, res);
    if (res.ok) return json as T;
    const { code, message } = errorOf(json, res.status);
    if (res.status === 401 || res.status === 403) {
      const { clientId, secretSource } = this.config();
      throw new CredentialsRejectedError(
        `${what}: auth refused the CLI's token (${res.status} ${code}: ${message}); check that client "${clientId}" ` +
          `(secret from ${secretSource}) has scope ${ADMIN_SCOPE} and audience ${ADMIN_AUDIENCE}, and that AUTH_URL is the auth that issued it`,
      );
    }
    if (res.status === 429 || res.status >= 500) throw unavailable(what, res, `${res.status} ${code}: ${message}`);
    throw new ServerRefusedError(res.status, code, message, json);
  }

  private accessToken(): Promise<string> {
    this.token ??= this.fetchToken();
    return this.token;
  }

  private async fetchToken(): Promise<string> {
    const { clientId, clientSecret, secretSource } = this.config();
    const what = 'POST /oauth/token';
    // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const res = await this.send(what, '/oauth/token', {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: GRANT_CLIENT_CREDENTIALS, audience: ADMIN_AUDIENCE, scope: ADMIN_SCOPE }).toString(),
    });
    const json = await this.readJson(what, res);
    if (res.status === 429 || res.status >= 500) throw unavailable(what, res, `${res.status}`);
    const token = (json as { access_token?: unknown } | null)?.access_token;
    if (res.ok && typeof token === 'string') return token;
    if (res.ok) throw new AuthUnavailableError(`${what}: auth answered 200 without an access_token`);
    // RFC 6749 §5.2 error body.
    const oauth = json as { error?: unknown; error_description?: unknown } | null;
    const error = typeof oauth?.error === 'string' ? oauth.error : `http_${res.status}`;
    const description = typeof oauth?.error_description === 'string' ? `: ${oauth.error_description}` : '';
    throw new CredentialsRejectedError(
      `auth refused the CLI's credentials (${error}${description}); check AUTHCTL_CLIENT_ID ("${clientId}") and the secret from ` +
        `${secretSource}; the client needs scope ${ADMIN_SCOPE} and audience ${ADMIN_AUDIENCE}`,
    );
  }

  private async send(what: string, path: string, init: RequestInit): Promise<Response> {
    const { authUrl, timeoutMs } = this.config();
    try {
      return await this.fetchImpl(`${authUrl}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    } catch (e) {
      throw networkError(what, authUrl, timeoutMs, e);
    }
  }

  private async readJson(what: string, res: Response): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      const { authUrl, timeoutMs } = this.config();
      throw networkError(what, authUrl, timeoutMs, e);
    }
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // A proxy's HTML error page, or not auth at all.
      throw new AuthUnavailableError(`${what}: auth answered ${res.status} with a body that is not JSON; is AUTH_URL auth's URL?`);
    }
  }
}

/** `{ code, message }` of auth's error body (`{ code, message, requestId }`), with fallbacks for anything else. */
function errorOf(json: unknown, status: number): { code: string; message: string } {
  const body = json as { code?: unknown; message?: unknown; error?: unknown; error_description?: unknown } | null;
  const code = typeof body?.code === 'string' ? body.code : typeof body?.error === 'string' ? body.error : `http_${status}`;
  const message =
    typeof body?.message === 'string' ? body.message : typeof body?.error_description === 'string' ? body.error_description : 'no message';
  return { code, message };
}

function unavailable(what: string, res: Response, detail: string): AuthUnavailableError {
  const retryAfter = res.headers.get('retry-after');
  return new AuthUnavailableError(`${what}: auth is unavailable (${detail})${retryAfter ? `; retry after ${retryAfter} s` : ''}`);
}

function networkError(what: string, authUrl: string, timeoutMs: number, e: unknown): AuthUnavailableError {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AuthUnavailableError(`${what}: auth at ${authUrl} did not answer within ${timeoutMs} ms (AUTHCTL_TIMEOUT_MS)`, { cause: e });
  }
  // undici reports the socket error as the cause of a generic "fetch failed".
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : String(e);
  return new AuthUnavailableError(`${what}: auth is unreachable at ${authUrl} (${reason}); check AUTH_URL`, { cause: e });
}
