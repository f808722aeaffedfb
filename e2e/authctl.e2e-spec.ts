import type { KeyView } from '@authmesh/contracts';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import { freePort, type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../apps/auth/src/config/auth.config.js';
import { ISSUER, ORDERS_CLIENT, basic, form, newAuthApp, post, uniqueEmail } from '../apps/auth/test/auth-fixture.js';

// The BUILT binary, spawned as an operator runs it (`npm test` builds first). nest-commander is
// CommonJS and requires ESM-only @nestjs/common, which Node does natively but Jest cannot: so the
// CLI is only ever exercised as a process here, against a real auth on a real socket.
const MAIN = 'dist/apps/authctl/src/main.js';
const AUTHCTL = { clientId: 'authctl', secret: 'authctl-secret-0123456789AbCdEfGhIjKl', scopes: ['auth:admin'], audiences: ['auth'] };
/** May introspect any token (scope auth:introspect): the tests below look at tokens of several audiences. */
const INTROSPECTOR = {
  clientId: 'introspector',
  secret: 'introspector-secret-0123456789AbCdEfGhIjKl',
  scopes: ['auth:introspect'],
  audiences: ['auth'],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Records every request it gets; answers with `handler` (default: 500). */
class RecordingServer {
  readonly requests: string[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, r) => r.writeHead(500).end()) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url}`);
      this.handler(req, res);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}

describe('authctl: the ops CLI against a real auth', () => {
  let auth: TestApp<AuthConfig>;
  let recorder: RecordingServer;
  let dataDir: string;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error('build output missing: run `npm run build` first (npm test does)');
    dataDir = mkdtempSync(join(tmpdir(), 'authctl-'));
    auth = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, AUTHCTL, INTROSPECTOR]) });
    recorder = await new RecordingServer().start();
  });
  afterAll(async () => {
    await recorder?.stop();
    await auth?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs the CLI; by default against the test's auth with the seeded authctl client, and an empty data dir. */
  function authctl(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
    const fullEnv: Record<string, string> = {};
    const merged = {
      PATH: process.env.PATH,
      AUTH_URL: auth.url,
      AUTHCTL_CLIENT_ID: AUTHCTL.clientId,
      AUTHCTL_CLIENT_SECRET: AUTHCTL.secret,
      AUTHMESH_DATA_DIR: dataDir,
      ...env,
    };
    for (const [k, v] of Object.entries(merged)) if (v !== undefined) fullEnv[k] = v;
    return new Promise((resolve) => {
      execFile(process.execPath, [MAIN, ...args], { env: fullEnv, timeout: 30_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  async function clientToken(id: string, secret: string, audience?: string): Promise<string> {
    const f = form({ grant_type: 'client_credentials', ...(audience ? { audience } : {}) });
    const res = await fetch(`${auth.url}/oauth/token`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(id, secret) },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  async function introspect(token: string): Promise<boolean> {
    const f = form({ token });
    const res = await fetch(`${auth.url}/oauth/introspect`, {
      method: 'POST',
      body: f.body,
      headers: { ...f.headers, authorization: basic(INTROSPECTOR.clientId, INTROSPECTOR.secret) },
    });
    return ((await res.json()) as { active: boolean }).active;
  }
  async function userToken(): Promise<string> {
    const email = uniqueEmail('ctl');
    const password = 'correct horse battery';
    await post(`${auth.url}/auth/register`, { email, password });
    return ((await (await post(`${auth.url}/auth/login`, { email, password })).json()) as { access_token: string }).access_token;
  }
  const uniqueId = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

  describe('clients', () => {
    it('clients create prints the secret once; the new client gets tokens with it', async () => {
      const id = uniqueId('billing');
      const r = await authctl(['clients', 'create', id, '--scope', 'orders:read', 'orders:write', '--audience', 'orders']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toContain(
        `Created client ${id} (audiences: orders; scopes: orders:read orders:write; grant types: client_credentials).`,
      );
      const secret = /Client secret \(shown once, store it now\): (\S+)/.exec(r.stdout)![1]!;
      const token = decodeJwt(await clientToken(id, secret));
      expect(token).toMatchObject({ sub: id, client_id: id, aud: 'orders', scope: 'orders:read orders:write' });
    });

    it('clients create --public --redirect-uri registers a public third-party client (no secret); a bad redirect URI is refused by auth, named', async () => {
      const id = uniqueId('mobile');
      const r = await authctl([
        'clients',
        'create',
        id,
        '--scope',
        'openid',
        '--audience',
        'orders',
        '--public',
        '--redirect-uri',
        'http://127.0.0.1:7777/cb',
        '--redirect-uri',
        'https://app.example.com/cb',
        '--post-logout-redirect-uri',
        'https://app.example.com/',
        '--json',
      ]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toMatchObject({
        clientId: id,
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1:7777/cb', 'https://app.example.com/cb'],
        postLogoutRedirectUris: ['https://app.example.com/'],
        firstParty: false,
      });
      expect(JSON.parse(r.stdout)).not.toHaveProperty('clientSecret');
      const bad = await authctl([
        'clients',
        'create',
        uniqueId('bad'),
        '--scope',
        'openid',
        '--audience',
        'orders',
        '--public',
        '--redirect-uri',
        'http://evil.example/cb',
      ]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/redirectUris/);
      expect(bad.stderr).toContain('http://evil.example/cb');
    });

    it('clients create --dpop-bound registers a client the token endpoint refuses without a DPoP proof', async () => {
      const id = uniqueId('dpop');
      const r = await authctl(['clients', 'create', id, '--scope', 'orders:read', '--audience', 'orders', '--dpop-bound', '--json']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const created = JSON.parse(r.stdout) as { dpopBoundAccessTokens: boolean; clientSecret: string };
      expect(created.dpopBoundAccessTokens).toBe(true);
      const f = form({ grant_type: 'client_credentials' });
      const res = await fetch(`${auth.url}/oauth/token`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: basic(id, created.clientSecret) },
      });
      expect({ status: res.status, body: await res.json() }).toMatchObject({
        status: 400,
        body: { error: 'invalid_dpop_proof', code: 'dpop_proof_missing' },
      });
    });

    it("clients create --json prints auth's answer as one JSON document", async () => {
      const id = uniqueId('exchanger');
      const r = await authctl([
        'clients',
        'create',
        id,
        '--scope',
        'orders:read',
        '--audience',
        'orders profiles',
        '--grant-type',
        'client_credentials',
        '--grant-type',
        'urn:ietf:params:oauth:grant-type:token-exchange',
        '--json',
      ]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        clientId: id,
        clientSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        audiences: ['orders', 'profiles'],
        grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
        enabled: true,
      });
    });

    it('clients list shows every client and never a secret; --json parses', async () => {
      const human = await authctl(['clients', 'list']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/client\s+│ enabled\s+│ audiences\s+│ scopes\s+│ grant types\s+│ created/);
      expect(human.stdout).toMatch(/authctl\s+│ yes\s+│ auth\s+│ auth:admin/);
      const json = await authctl(['clients', 'list', '--json']);
      const { clients } = JSON.parse(json.stdout) as { clients: Record<string, unknown>[] };
      expect(clients.map((c) => c.clientId)).toEqual(expect.arrayContaining(['authctl', 'orders']));
      // The method's name (RFC 7591 `client_secret_basic`) is the one "secret" the list may say.
      expect(json.stdout.replaceAll('"client_secret_basic"', '')).not.toMatch(/secret|hash/i);
      expect(json.stdout).not.toContain(AUTHCTL.secret);
    });

    it('clients create --jwks FILE registers a private_key_jwt client (no secret) that gets a token with its key', async () => {
      const id = uniqueId('keyed');
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwksFile = join(dataDir, `${id}-jwks.json`);
      writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: `${id}-1` }] }));
      const out = await authctl(['clients', 'create', id, '--scope', 'orders:read', '--audience', 'orders', '--jwks', jwksFile]);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain(`It authenticates with private_key_jwt (keys: ${id}-1); it has no secret.`);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: `${id}-1` })
        .setIssuer(id)
        .setSubject(id)
        .setAudience(ISSUER)
        .setJti(randomBytes(8).toString('hex'))
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(privateKey);
      const f = form({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      const res = await fetch(`${auth.url}/oauth/token`, { method: 'POST', body: f.body, headers: f.headers });
      expect(res.status).toBe(200);
      // A file with the private key is refused before anything is sent.
      const leaky = join(dataDir, `${id}-private.json`);
      writeFileSync(leaky, JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k' }] }));
      const refused = await authctl([
        'clients',
        'create',
        uniqueId('leaky'),
        '--scope',
        'orders:read',
        '--audience',
        'orders',
        '--jwks',
        leaky,
      ]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/private key material/);
    });

    it('clients disable refuses the client at the token endpoint and revokes the token it holds', async () => {
      const id = uniqueId('leaky');
      const created = JSON.parse(
        (await authctl(['clients', 'create', id, '--scope', 'orders:read', '--audience', 'auth', '--json'])).stdout,
      ) as {
        clientSecret: string;
      };
      const token = await clientToken(id, created.clientSecret);
      expect(await introspect(token)).toBe(true);
      const r = await authctl(['clients', 'disable', id]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toBe(`Disabled client ${id}: the token endpoint refuses it, and every token it held is revoked.\n`);
      expect(await introspect(token)).toBe(false);
      const f = form({ grant_type: 'client_credentials' });
      const refused = await fetch(`${auth.url}/oauth/token`, {
        method: 'POST',
        body: f.body,
        headers: { ...f.headers, authorization: basic(id, created.clientSecret) },
      });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
      const listed = JSON.parse((await authctl(['clients', 'list', '--json'])).stdout) as {
        clients: { clientId: string; enabled: boolean }[];
      };
      expect(listed.clients.find((c) => c.clientId === id)?.enabled).toBe(false);
    });

    it("a server refusal exits 1 with auth's code: unknown client, taken client id", async () => {
      const unknown = await authctl(['clients', 'disable', 'no-such-client']);
      expect(unknown).toMatchObject({ code: 1, stdout: '' });
      expect(unknown.stderr).toMatch(/^authctl: auth refused: 404 client_not_found: No client with id "no-such-client"/);
      const taken = await authctl(['clients', 'create', 'orders', '--scope', 'orders:read', '--audience', 'orders', '--json']);
      expect(taken).toMatchObject({ code: 1, stdout: '' });
      expect(taken.stderr).toMatch(/409 client_exists/);
    });
  });

  describe('clients create with a scope or audience nobody defined (review: it used to succeed)', () => {
    it('is refused by auth (exit 1), printing the field, the unknown value and the known ones; no client is created', async () => {
      const id = uniqueId('typo');
      const r = await authctl(['clients', 'create', id, '--scope', 'nosuch:scope', '--audience', 'orders']);
      expect(r).toMatchObject({ code: 1, stdout: '' });
      expect(r.stderr).toMatch(/^authctl: auth refused: 400 validation_failed: Invalid request: scopes\n/);
      expect(r.stderr).toMatch(/ {2}scopes: unknown scope "nosuch:scope"; known scopes: .*\borders:read\b.*\bauth:admin\b/);
      const audience = await authctl(['clients', 'create', id, '--scope', 'orders:read', '--audience', 'nosuch-service']);
      expect(audience.code).toBe(1);
      expect(audience.stderr).toMatch(/ {2}audiences: unknown audience "nosuch-service"; known audiences: .*\borders\b/);
      const listed = JSON.parse((await authctl(['clients', 'list', '--json'])).stdout) as { clients: { clientId: string }[] };
      expect(listed.clients.map((c) => c.clientId)).not.toContain(id);
    });
  });

  describe('revoke', () => {
    it('revoke --jti --exp blocklists that one token everywhere', async () => {
      const token = await userToken();
      const other = await userToken();
      const { jti, exp } = decodeJwt(token);
      const r = await authctl(['revoke', '--jti', jti!, '--exp', String(exp)]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^Revoked token ${jti}: refused everywhere until it expires at `));
      expect(await introspect(token)).toBe(false);
      expect(await introspect(other)).toBe(true);
      // Auth's own routes refuse it too (their mirror hears the revocation within milliseconds).
      await waitFor(async () => (await post(`${auth.url}/auth/logout`, {}, { authorization: `Bearer ${token}` })).status === 401, 2000);
      const res = await post(`${auth.url}/auth/logout`, {}, { authorization: `Bearer ${token}` });
      expect(await res.json()).toMatchObject({ code: 'token_revoked' });
    });

    it('revoke --sub revokes every token of the subject issued until now; --json prints the answer', async () => {
      const token = await userToken();
      const r = await authctl(['revoke', '--sub', decodeJwt(token).sub!, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ revoked: 'sub' });
      expect(await introspect(token)).toBe(false);
    });
  });

  describe('usage errors and refused input exit 2, and nothing is sent', () => {
    const inSeconds = String(Math.floor(Date.now() / 1000) + 300);
    it.each([
      [['revoke'], /give either --jti <jti> --exp <unix-seconds> .* or --sub <sub>/],
      [['revoke', '--jti', 'abc', '--sub', 'someone'], /not both/],
      [['revoke', '--jti', 'abc'], /--jti needs --exp/],
      [['revoke', '--jti', 'abc', '--exp', 'soon'], /--exp must be a Unix time in seconds/],
      [['revoke', '--jti', 'abc', '--exp', `${inSeconds}000`], /looks like milliseconds/],
      [['keys', 'revoke', 'AbCdEfGhIj'], /--reason <text> is required/],
      [['keys', 'revoke', 'AbCdEfGhIj', '--reason', '  '], /--reason must not be blank/],
      [['keys', 'revoke', 'AbCd', '--reason', 'leak'], /kid prefix must be at least 8 characters/],
      [['keys', 'rotate', '--bogus'], /error: unknown option '--bogus'/],
      [['keys', 'frobnicate'], /unknown command "keys frobnicate"/],
      [['frobnicate'], /error: unknown command 'frobnicate'/],
      [['clients', 'create', 'bad id!', '--scope', 'a', '--audience', 'b'], /client id must be/],
      [['clients', 'create', 'ok-id', '--audience', 'orders'], /--scope <scope\.\.\.> is required/],
      [
        ['clients', 'create', 'ok-id', '--scope', 'a', '--audience', 'b', '--grant-type', 'password'],
        /--grant-type "password" is not one of/,
      ],
      [['clients', 'disable', 'authctl'], /refusing to disable "authctl": it is the client authctl runs as/],
      [['clients', 'list', 'extra'], /too many arguments/],
    ])('authctl %j', async (args, message) => {
      const before = recorder.requests.length;
      const r = await authctl(args, { AUTH_URL: recorder.url });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
      expect(recorder.requests.length).toBe(before);
    });

    it('--help exits 0 and documents the exit codes and configuration', async () => {
      const r = await authctl(['--help'], { AUTH_URL: recorder.url });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Exit codes:[\s\S]*2 {2}usage error/);
      expect(r.stdout).toContain('AUTHCTL_CLIENT_SECRET');
    });

    it('a missing secret (no variable, no suite file) exits 2 naming AUTHCTL_CLIENT_SECRET', async () => {
      const r = await authctl(['keys', 'list'], { AUTH_URL: recorder.url, AUTHCTL_CLIENT_SECRET: undefined });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`AUTHCTL_CLIENT_SECRET: is required (no ${join(dataDir, 'suite-clients.json')} to read it from)`);
    });

    it('bad configuration exits 2 naming every bad variable', async () => {
      const r = await authctl(['clients', 'list'], { AUTH_URL: 'ftp://auth', AUTHCTL_TIMEOUT_MS: 'soon' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/AUTH_URL: must be an http:\/\/ or https:\/\/ URL[\s\S]*AUTHCTL_TIMEOUT_MS: must be an integer/);
    });
  });

  it('reads the secret from <AUTHMESH_DATA_DIR>/suite-clients.json when AUTHCTL_CLIENT_SECRET is unset (what npm start writes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authctl-suite-'));
    try {
      writeFileSync(join(dir, 'suite-clients.json'), JSON.stringify([ORDERS_CLIENT, AUTHCTL]));
      const r = await authctl(['clients', 'list', '--json'], { AUTHCTL_CLIENT_SECRET: undefined, AUTHMESH_DATA_DIR: dir });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toHaveProperty('clients');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('auth unusable, or refusing the CLI itself: exit 3', () => {
    it('auth unreachable (nothing listening)', async () => {
      const port = await freePort();
      const r = await authctl(['keys', 'list'], { AUTH_URL: `http://127.0.0.1:${port}` });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/auth is unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); check AUTH_URL/);
    });

    it('auth does not answer within AUTHCTL_TIMEOUT_MS', async () => {
      const silent = await new RecordingServer(() => undefined).start();
      try {
        const started = Date.now();
        const r = await authctl(['clients', 'list'], { AUTH_URL: silent.url, AUTHCTL_TIMEOUT_MS: '300' });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/did not answer within 300 ms \(AUTHCTL_TIMEOUT_MS\)/);
        expect(Date.now() - started).toBeLessThan(15_000);
      } finally {
        await silent.stop();
      }
    });

    it('auth answers 5xx', async () => {
      const failing = await new RecordingServer((_q, res) =>
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '7' }).end('{"code":"not_ready","message":"db down"}'),
      ).start();
      try {
        const r = await authctl(['clients', 'list'], { AUTH_URL: failing.url });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/auth is unavailable \(503\); retry after 7 s/);
      } finally {
        await failing.stop();
      }
    });

    it("auth rejects the CLI's credentials", async () => {
      const r = await authctl(['clients', 'list'], { AUTHCTL_CLIENT_SECRET: 'wrong-secret-0123456789AbCdEfGhIjKl' });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/auth refused the CLI's credentials \(invalid_client: .*\); check AUTHCTL_CLIENT_ID \("authctl"\)/);
      // A client without auth:admin is refused too (it may not get the scope).
      const r2 = await authctl(['clients', 'list'], {
        AUTHCTL_CLIENT_ID: ORDERS_CLIENT.clientId,
        AUTHCTL_CLIENT_SECRET: ORDERS_CLIENT.secret,
      });
      expect(r2.code).toBe(3);
      expect(r2.stderr).toMatch(/needs scope auth:admin and audience auth/);
    });
  });

  // Needs the keys admin API (GET /admin/keys, POST /admin/keys/rotate, POST /admin/keys/:kid/revoke, GET /admin/keys/events).
  describe('keys', () => {
    const keys = async (): Promise<KeyView[]> =>
      (JSON.parse((await authctl(['keys', 'list', '--json'])).stdout) as { keys: KeyView[] }).keys;

    it('keys list prints a table of kid, state, created, activates, retires; --json parses', async () => {
      const json = await authctl(['keys', 'list', '--json']);
      expect(json.code).toBe(0);
      const list = (JSON.parse(json.stdout) as { keys: KeyView[] }).keys;
      const active = list.find((k) => k.state === 'active')!;
      expect(active).toBeDefined();
      const human = await authctl(['keys', 'list']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/│ kid\s+│ state\s+│ created\s+│ activates\s+│ retires\s+│/);
      expect(human.stdout).toMatch(
        new RegExp(`│ ${active.kid} │ active\\s+│ \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ │ \\d{4}-[^│]+Z │ -\\s+│`),
      );
    });

    it('keys rotate publishes a pending key; a second planned rotation is refused (exit 1, rotation_in_progress); --now promotes it', async () => {
      const planned = await authctl(['keys', 'rotate', '--reason', 'monthly rotation']);
      expect(planned).toMatchObject({ code: 0, stderr: '' });
      expect(planned.stdout).toMatch(/^Key \S+ is pending: published in the JWKS now, signs from \d{4}-\S+Z\.\n/);
      const pending = (await keys()).find((k) => k.state === 'pending')!;
      expect(planned.stdout).toContain(pending.kid);

      const again = await authctl(['keys', 'rotate']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/409 rotation_in_progress/);

      const now = await authctl(['keys', 'rotate', '--now', '--json']);
      expect(now.code).toBe(0);
      const result = JSON.parse(now.stdout) as { key: KeyView; previous: KeyView };
      expect(result.key).toMatchObject({ kid: pending.kid, state: 'active' });
      expect(result.previous.state).toBe('retiring');
    });

    it('keys revoke <prefix> revokes the key: its tokens are refused, fresh ones work; a second revoke is refused (exit 2)', async () => {
      const active = (await keys()).find((k) => k.state === 'active')!;
      const signedByIt = await clientToken(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret);
      expect(JSON.parse(Buffer.from(signedByIt.split('.')[0]!, 'base64url').toString()).kid).toBe(active.kid);

      const prefix = active.kid.slice(0, 10);
      // `--`: a kid (a base64url thumbprint) may start with '-'.
      const r = await authctl(['keys', 'revoke', '--reason', 'key leaked in a log', '--', prefix]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^Revoked key ${active.kid}: removed from the JWKS`));
      expect(await introspect(signedByIt)).toBe(false);
      const fresh = await clientToken(ORDERS_CLIENT.clientId, ORDERS_CLIENT.secret);
      expect(await introspect(fresh)).toBe(true);
      expect((await keys()).find((k) => k.kid === active.kid)?.state).toBe('revoked');

      const again = await authctl(['keys', 'revoke', '--reason', 'again', '--', prefix]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/is revoked: only pending, active, retiring keys can be revoked/);
    });

    it('keys revoke refuses an unknown kid prefix, listing the keys (exit 2)', async () => {
      const r = await authctl(['keys', 'revoke', 'Unknown0Kid0Prefix', '--reason', 'leak']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no key matches "Unknown0Kid0Prefix"; keys:\n {2}\S+ {2}(active|retiring|pending|revoked|retired)/);
    });

    it('keys events shows the audit trail: who, when, why', async () => {
      const r = await authctl(['keys', 'events', '--json']);
      expect(r.code).toBe(0);
      const { events } = JSON.parse(r.stdout) as { events: { toState: string; actor: string; reason: string }[] };
      expect(events).toEqual(
        expect.arrayContaining([expect.objectContaining({ toState: 'revoked', actor: 'client:authctl', reason: 'key leaked in a log' })]),
      );
      const human = await authctl(['keys', 'events']);
      expect(human.stdout).toMatch(/at\s+│ kid\s+│ transition\s+│ actor\s+│ reason/);
    });
  });

  describe('apikeys', () => {
    it('apikeys create prints the key once; list shows its prefix, never the key; rotate and revoke take effect at auth', async () => {
      const owner = { clientId: 'orders' };
      const created = await authctl([
        'apikeys',
        'create',
        'nightly-sync',
        '--client',
        owner.clientId,
        '--scope',
        'profiles:read',
        '--audience',
        'profiles',
        '--json',
      ]);
      expect(created.code).toBe(0);
      const key = JSON.parse(created.stdout) as { id: string; key: string; prefix: string };
      expect(key.key).toMatch(/^amk_live_[0-9A-Za-z]{49}$/);
      const human = await authctl([
        'apikeys',
        'create',
        'other',
        '--client',
        owner.clientId,
        '--scope',
        'profiles:read',
        '--audience',
        'profiles',
      ]);
      expect(human.stdout).toMatch(/API key \(shown once, store it now\): amk_live_/);

      const list = await authctl(['apikeys', 'list', '--client', owner.clientId]);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(key.prefix);
      expect(list.stdout).not.toContain(key.key);

      const rotated = await authctl(['apikeys', 'rotate', key.id, '--grace', '60', '--json']);
      expect(rotated.code).toBe(0);
      const next = JSON.parse(rotated.stdout) as { id: string; key: string };
      expect(next.key).not.toBe(key.key);
      const revoked = await authctl(['apikeys', 'revoke', next.id]);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toMatch(/Revoked API key/);
      const after = JSON.parse((await authctl(['apikeys', 'list', '--client', owner.clientId, '--json'])).stdout) as {
        apiKeys: { id: string; revokedAt: string | null; replacedBy: string | null }[];
      };
      expect(after.apiKeys.find((k) => k.id === next.id)?.revokedAt).not.toBeNull();
      expect(after.apiKeys.find((k) => k.id === key.id)?.replacedBy).toBe(next.id);
    });

    it('apikeys create without an owner, or with a scope the owner lacks, is refused (usage 2; auth 400 naming the field)', async () => {
      expect((await authctl(['apikeys', 'create', 'x', '--scope', 'profiles:read', '--audience', 'profiles'])).code).toBe(2);
      const wide = await authctl(['apikeys', 'create', 'x', '--client', 'orders', '--scope', 'orders:write', '--audience', 'profiles']);
      expect(wide.code).toBe(1);
      expect(wide.stderr).toMatch(/scopes/);
    });
  });
});
