import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader } from 'jose';
import { JwksCache } from '@authmesh/token-verifier';
import { newTestApp, type TestApp, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';
import { profilesApp } from '../apps/profiles/src/profiles.app.js';
import { RoundRobin } from '../tools/topology/round-robin.js';

// The topology's rotation bug, in one process: two auth apps on one database behind the
// topology's round-robin, profiles fetching the JWKS through it. The second replica is seen
// through a mirror that serves its JWKS as it was LAG_MS ago: it reloads its keyring on the Redis
// announcement like the first, but "later" by a fixed amount instead of the ~15 ms of chance that
// the topology showed, so the announcement's refetch reaches it deterministically.
const ISSUER = `http://auth-${randomBytes(4).toString('hex')}.test`; // announcements are per issuer: no other file's
const OPS = { clientId: 'ops', secret: 'ops-secret-0123456789abcdefAbCdEfGhIjKl', scopes: ['auth:admin'], audiences: ['auth'] };
const CALLER = {
  clientId: 'caller',
  secret: 'caller-secret-0123456789abcAbCdEfGhIjKl',
  scopes: ['profiles:read'],
  audiences: ['profiles'],
};
const LAG_MS = 1_000;

/** `upstream`'s JWKS as it was `lagMs` ago (polled every 20 ms), with its ETag and 304s. */
class LaggingJwksMirror {
  requests = 0;
  url = '';
  private readonly history: { at: number; etag: string; body: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly server: Server = createServer((req, res) => {
    this.requests++;
    const cutoff = Date.now() - this.lagMs;
    const seen = this.history.filter((s) => s.at <= cutoff).at(-1) ?? this.history[0]!;
    const headers = { etag: seen.etag, 'cache-control': 'public, max-age=300' };
    if (req.headers['if-none-match'] === seen.etag) res.writeHead(304, headers).end();
    else res.writeHead(200, { ...headers, 'content-type': 'application/jwk-set+json' }).end(seen.body);
  });

  private constructor(
    private readonly upstream: string,
    private readonly lagMs: number,
  ) {}

  static async start(upstream: string, lagMs: number): Promise<LaggingJwksMirror> {
    const mirror = new LaggingJwksMirror(upstream, lagMs);
    await mirror.poll();
    mirror.timer = setInterval(() => void mirror.poll().catch(() => undefined), 20);
    await new Promise<void>((r) => mirror.server.listen(0, '127.0.0.1', r));
    mirror.url = `http://127.0.0.1:${(mirror.server.address() as AddressInfo).port}`;
    return mirror;
  }

  private async poll(): Promise<void> {
    const res = await fetch(`${this.upstream}/.well-known/jwks.json`);
    const body = await res.text();
    const etag = res.headers.get('etag') ?? '';
    if (this.history.at(-1)?.etag !== etag) this.history.push({ at: Date.now(), etag, body });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

describe('rotate --now behind a round-robin of two auth replicas, one of them lagging (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let lagging: LaggingJwksMirror;
  let rr: RoundRobin;
  let profiles: TestApp;

  beforeAll(async () => {
    const env = {
      AUTH_KEK: randomBytes(32).toString('base64'),
      AUTH_ISSUER: ISSUER,
      AUTH_SEED_CLIENTS: JSON.stringify([OPS, CALLER]),
      // Only the announcement reloads the other replica's keyring within the test.
      AUTH_KEY_CHECK_INTERVAL_S: '3600',
    };
    a = await newTestApp(authApp, env);
    b = await newTestApp(authApp, { ...env, AUTH_DATABASE_URL: a.databaseUrl });
    lagging = await LaggingJwksMirror.start(b.url, LAG_MS);
    rr = await RoundRobin.start('auth', 0);
    rr.setUpstreams([a.url, lagging.url]);
    profiles = await newTestApp(profilesApp, {
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URI: `${rr.url}/.well-known/jwks.json`,
      JWKS_COOLDOWN_S: '30',
    });
  });
  afterAll(async () => {
    await profiles?.close();
    await rr?.close();
    await lagging?.close();
    await b?.close();
    await a?.close();
  });

  async function clientToken(client: typeof OPS, audience: string): Promise<string> {
    const res = await fetch(`${a.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience }).toString(),
    });
    if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const whoami = async (token: string) => {
    const res = await fetch(`${profiles.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, code: ((await res.json()) as { code?: string }).code };
  };

  it('profiles holds the new key within 1 s although the announcement refetch reached the lagging replica', async () => {
    const cache = profiles.app.get(JwksCache);
    const fetches: string[] = [];
    cache.onFetch((result, reason) => fetches.push(`${reason}:${result}`));
    // A made-up kid uses up the unknown-kid cooldown (30 s), as the first rotation did on the topology.
    const [h, p, s] = (await clientToken(CALLER, 'profiles')).split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(h!, 'base64url').toString()), kid: 'made-up' })).toString('base64url')}.${p}.${s}`;
    expect((await whoami(forged)).code).toBe('token_unknown_key');
    // Line the round-robin up so that the next JWKS request (the announcement's) goes to the lagging replica.
    const before = lagging.requests;
    await fetch(`${rr.url}/.well-known/jwks.json`);
    // That one reached the lagging replica: one more goes to the other.
    if (lagging.requests > before) await fetch(`${rr.url}/.well-known/jwks.json`);
    fetches.length = 0;

    const res = await fetch(`${a.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await clientToken(OPS, 'auth')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ now: true, reason: 'lagging replica e2e' }),
    });
    expect(res.status).toBe(201);
    const rotatedAt = Date.now();
    const newKid = ((await res.json()) as { key: { kid: string } }).key.kid;
    await waitFor(() => cache.status().kids.includes(newKid), 2_000, 5);
    const learnedMs = Date.now() - rotatedAt;
    if (process.env.SHOW_TIMINGS)
      process.stdout.write(`profiles held ${newKid} ${learnedMs} ms after rotate --now (${fetches.join(', ')})\n`);
    expect(learnedMs).toBeLessThan(1_000);
    // The first refetch after the announcement met the lagging replica (the old set), a retry the other.
    expect(fetches[0]).toBe('announcement:not_modified');
    expect(fetches).toContain('announcement:updated');
    expect(fetches.some((f) => f.startsWith('unknown_kid'))).toBe(false);

    const token = await clientToken(CALLER, 'profiles');
    expect(decodeProtectedHeader(token).kid).toBe(newKid);
    expect(await whoami(token)).toEqual({ status: 200, code: undefined });
  });
});
