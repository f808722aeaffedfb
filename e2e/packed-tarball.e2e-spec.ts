import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type TestApp, newTestApp, testRedisUrl, waitFor } from '@authmesh/testing';
import { authApp } from '../apps/auth/src/auth.app.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
/** The libs a service outside the monorepo installs, in dependency order (each a peer of the next). */
const PACKAGES = ['contracts', 'platform', 'token-verifier', 'revocation'] as const;

/**
 * The libraries as packages: each lib is built to JS with .d.ts by its own tsconfig.build.json
 * (project references, so `@authmesh/*` imports stay package names), packed with `npm pack`, and
 * installed with public packages (from the machine's npm cache when it has them) into a Nest app
 * under the OS temp dir, far from this repository's node_modules. That app (e2e/packed-consumer/
 * main.mjs) verifies a token a real auth issued, through the global guard and AuthGuard('authmesh'),
 * and refuses it once auth revoked it.
 */
describe('the packed libraries in a Nest app outside the repository (e2e)', () => {
  let dir: string;
  let auth: TestApp;
  let consumer: ChildProcess | undefined;
  let url: string;
  const password = 'long enough password!';

  beforeAll(async () => {
    // Auth boots while the packages build and install.
    const authStarted = newTestApp(authApp, { AUTH_KEK: randomBytes(32).toString('base64'), AUTH_ISSUER: 'http://auth.test' }).then(
      (a) => (auth = a), // set as soon as it runs, so afterAll closes it whatever fails later
    );
    authStarted.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    const started = Date.now();
    const took: Record<string, number> = {};
    const lap = (step: string): void => void (took[step] = Date.now() - started);
    dir = await mkdtemp(join(tmpdir(), 'authmesh-consumer-'));
    const packs = join(dir, 'packs');
    const app = join(dir, 'app');
    await Promise.all([mkdir(packs), mkdir(app)]);
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'libs/revocation/tsconfig.build.json'], {
      cwd: ROOT,
    });
    lap('build');
    const tarballs = await Promise.all(
      PACKAGES.map(async (lib) => {
        // --ignore-scripts: prepack would run the build just done.
        const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packs], {
          cwd: join(ROOT, 'libs', lib),
        });
        return [`@authmesh/${lib}`, `file:${join(packs, stdout.trim())}`] as const;
      }),
    );
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'authmesh-consumer',
        private: true,
        type: 'module',
        dependencies: {
          ...Object.fromEntries(tarballs),
          // What the app itself imports; the libs' other peers and dependencies (typeorm, pino, OpenTelemetry…) npm installs.
          '@nestjs/common': '^12.5.1',
          '@nestjs/core': '^12.5.1',
          '@nestjs/platform-fastify': '^12.5.0',
          '@nestjs/passport': '^12.0.0',
          passport: '^0.7.0',
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.2',
        },
      }),
    );
    await copyFile(join(ROOT, 'e2e/packed-consumer/main.mjs'), join(app, 'main.mjs'));
    lap('pack');
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: app });
    lap('install');
    await authStarted;
    const child = spawn(process.execPath, ['main.mjs'], {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        AUTH_ISSUER: 'http://auth.test',
        AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json`,
        REDIS_URL: testRedisUrl(),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    consumer = child;
    url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening (\S+) (true|false)/.exec(out);
        if (m) resolveUrl(m[2] === 'true' ? m[1]! : `core and nest entries loaded two JwksCache classes: ${m[1]}`);
      });
      child.once('exit', (code) => reject(new Error(`the consumer app exited (${code}) before listening: ${out}`)));
    });
    lap('listening');
    // Where the time goes (ms since the start), for the next person who finds this test slow.
    process.stdout.write(`packed-tarball: ${JSON.stringify(took)}\n`);
  }, 180_000);

  afterAll(async () => {
    consumer?.kill('SIGTERM');
    await auth?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const json = { 'content-type': 'application/json' };
  async function newUserToken(): Promise<string> {
    const email = `packed-${randomBytes(5).toString('hex')}@example.com`;
    await fetch(`${auth.url}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const res = await fetch(`${auth.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    return ((await res.json()) as { access_token: string }).access_token;
  }
  const get = async (
    path: string,
    token?: string,
  ): Promise<{ status: number; body: Record<string, unknown>; challenge: string | null }> => {
    const res = await fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, challenge: res.headers.get('www-authenticate') };
  };

  it("verifies auth's token through the global guard and AuthGuard('authmesh'), and refuses it once revoked", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await newUserToken();
    const whoami = await get('/whoami', token);
    expect(whoami).toMatchObject({ status: 200, body: { clientId: 'authmesh', audience: expect.arrayContaining(['orders']) } });
    expect(await get('/passport', token)).toMatchObject({ status: 200, body: { sub: whoami.body.sub } });

    const logout = await fetch(`${auth.url}/auth/logout`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: '{}',
    });
    expect(logout.status).toBe(200);
    // Through auth's revocation stream in Redis to the consumer's mirror (asynchronous, milliseconds).
    await waitFor(async () => (await get('/whoami', token)).status === 401, 5_000);
    for (const path of ['/whoami', '/passport']) {
      const res = await get(path, token);
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 401, code: 'token_revoked' });
      expect(res.challenge).toBe('Bearer error="invalid_token", error_description="The access token has been revoked"');
    }
  });

  it('answers 401 token_missing with a bare Bearer challenge (and the DPoP algs) without a token', async () => {
    expect(await get('/whoami')).toMatchObject({
      status: 401,
      body: { code: 'token_missing' },
      challenge: 'Bearer, DPoP algs="ES256 EdDSA RS256 PS256"',
    });
  });
});
