import { AuthUnavailableError, CredentialsRejectedError, ServerRefusedError } from '../cli/errors.js';
import type { AuthctlConfig } from '../config/authctl.config.js';
import { AdminApiClient } from './admin-api.client.js';

const CONFIG: AuthctlConfig = {
  authUrl: 'http://auth.test',
  clientId: 'authctl',
  clientSecret: 's3cret',
  timeoutMs: 1000,
  secretSource: 'AUTHCTL_CLIENT_SECRET',
};

interface Seen {
  url: string;
  init: RequestInit;
}

/** An injected fake fetch: a queue of answers, and a record of every request. */
function fakeFetch(...answers: (Response | Error)[]): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seen.push({ url: String(url), init: init ?? {} });
    const next = answers.shift();
    if (!next) throw new Error('unexpected request');
    if (!(next instanceof Response)) throw next;
    return next;
  };
  return { fetch: fake as typeof fetch, seen };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const token = (): Response => json(200, { access_token: 'tkn', token_type: 'Bearer', expires_in: 300 });

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('AdminApiClient', () => {
  it('gets one client-credentials token (Basic, audience auth, scope auth:admin) and reuses it', async () => {
    const { fetch, seen } = fakeFetch(token(), json(200, { keys: [] }), json(200, { clients: [] }));
    const api = new AdminApiClient(() => CONFIG, fetch);
    await api.listKeys();
    await api.listClients();
    expect(seen.map((s) => s.url)).toEqual([
      'http://auth.test/oauth/token',
      'http://auth.test/admin/keys',
      'http://auth.test/admin/clients',
    ]);
    const tokenRequest = seen[0]!.init;
    expect((tokenRequest.headers as Record<string, string>).authorization).toBe(
      `Basic ${Buffer.from('authctl:s3cret').toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(String(tokenRequest.body)))).toEqual({
      grant_type: 'client_credentials',
      audience: 'auth',
      scope: 'auth:admin',
    });
    expect((seen[1]!.init.headers as Record<string, string>).authorization).toBe('Bearer tkn');
  });

  it('sends no content-type on a call without a body (Fastify refuses an empty JSON body)', async () => {
    const { fetch, seen } = fakeFetch(token(), json(200, { clientId: 'x', enabled: false }));
    await new AdminApiClient(() => CONFIG, fetch).disableClient('x');
    expect(seen[1]!.init.headers).not.toHaveProperty('content-type');
    expect(seen[1]!.init.body).toBeUndefined();
  });

  it("a 4xx is auth refusing the operation (exit 1), with auth's code", async () => {
    const { fetch } = fakeFetch(token(), json(409, { code: 'rotation_in_progress', message: 'Key k is already pending' }));
    const e = await failure(new AdminApiClient(() => CONFIG, fetch).rotateKeys({}));
    expect(e).toBeInstanceOf(ServerRefusedError);
    expect(e).toMatchObject({ status: 409, code: 'rotation_in_progress', message: 'Key k is already pending', exitCode: 1 });
  });

  it("a refused token request is the CLI's credentials being rejected (exit 3), naming the variables", async () => {
    const { fetch } = fakeFetch(json(401, { error: 'invalid_client', error_description: 'Client authentication failed' }));
    const e = await failure(new AdminApiClient(() => CONFIG, fetch).listKeys());
    expect(e).toBeInstanceOf(CredentialsRejectedError);
    expect(e.message).toMatch(/invalid_client.*AUTHCTL_CLIENT_ID/);
  });

  it('401/403 from an admin route also mean the CLI itself is refused (exit 3)', async () => {
    const { fetch } = fakeFetch(token(), json(403, { code: 'insufficient_scope', message: 'needs auth:admin' }));
    expect(await failure(new AdminApiClient(() => CONFIG, fetch).listKeys())).toBeInstanceOf(CredentialsRejectedError);
  });

  it('5xx and 429 mean auth is unavailable (exit 3), with Retry-After', async () => {
    const { fetch } = fakeFetch(token(), json(503, { code: 'dependency_unavailable', message: 'db down' }, { 'retry-after': '5' }));
    const e = await failure(new AdminApiClient(() => CONFIG, fetch).listKeys());
    expect(e).toBeInstanceOf(AuthUnavailableError);
    expect(e.message).toMatch(/503 dependency_unavailable.*retry after 5 s/);
    const limited = fakeFetch(json(429, { error: 'slow down' }));
    expect(await failure(new AdminApiClient(() => CONFIG, limited.fetch).listKeys())).toBeInstanceOf(AuthUnavailableError);
  });

  it('a body that is not JSON (a proxy page, not auth) is unavailable, not a crash', async () => {
    const { fetch } = fakeFetch(new Response('<html>Bad gateway</html>', { status: 502 }));
    const e = await failure(new AdminApiClient(() => CONFIG, fetch).listKeys());
    expect(e).toBeInstanceOf(AuthUnavailableError);
    expect(e.message).toMatch(/not JSON/);
  });

  it('connection failures and timeouts are unavailable, naming AUTH_URL or AUTHCTL_TIMEOUT_MS', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const a = await failure(new AdminApiClient(() => CONFIG, fakeFetch(refused).fetch).listKeys());
    expect(a).toBeInstanceOf(AuthUnavailableError);
    expect(a.message).toMatch(/unreachable at http:\/\/auth.test \(ECONNREFUSED\); check AUTH_URL/);
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const b = await failure(new AdminApiClient(() => CONFIG, fakeFetch(timeout).fetch).listKeys());
    expect(b.message).toMatch(/did not answer within 1000 ms \(AUTHCTL_TIMEOUT_MS\)/);
  });
});
