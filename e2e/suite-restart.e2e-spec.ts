import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { waitFor } from '@authmesh/testing';
import {
  type SuitePorts,
  type SuiteProcess,
  freeSuitePorts,
  localUrl,
  startSuiteProcess,
  stopSuiteProcess,
} from './support/suite-process.js';
import { withJsonFlag } from '../tools/demo/http.js';

/**
 * `npm start` forgets nothing: revocations live in auth's embedded ledger (PGlite in the data
 * directory), and auth re-seeds the in-memory blocklist from it at start-up, before the verifiers
 * start. Run against the built suite, stopped and started again on the same data directory and
 * ports (auth's issuer is its own URL, so the tokens must verify against the same one).
 */

const AUTHCTL_MAIN = 'dist/apps/authctl/src/main.js';
const password = 'long enough password!';
const json = { 'content-type': 'application/json' };
const url = localUrl;

describe('npm start: a restart forgets no revocation', () => {
  let dataDir: string;
  let ports: SuitePorts;
  let suite: SuiteProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'authmesh-restart-'));
    ports = await freeSuitePorts();
    suite = await startSuiteProcess(dataDir, ports);
  }, 120_000);

  afterAll(async () => {
    if (suite) await stopSuiteProcess(suite, 'SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  function authctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [AUTHCTL_MAIN, ...withJsonFlag(args)], {
      env: { ...process.env, AUTH_URL: url(ports.auth), AUTHMESH_DATA_DIR: dataDir, AUTHCTL_CLIENT_SECRET: undefined },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) {
      // The suite's own log says why auth refused (a 500 is logged there with its stack).
      const log = suite
        ?.output()
        .split('\n')
        .filter((line) => /"level":(40|50|60)/.test(line))
        .slice(-20)
        .join('\n');
      throw new Error(
        `authctl ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}\nsuite warnings and errors:\n${log}`,
      );
    }
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }
  async function userToken(): Promise<string> {
    const email = `restart-${Math.random().toString(36).slice(2)}@example.com`;
    await fetch(`${url(ports.auth)}/auth/register`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    const res = await fetch(`${url(ports.auth)}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  async function clientToken(clientId: string, secret: string): Promise<Response> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read', audience: 'orders' });
    return fetch(`${url(ports.auth)}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body,
    });
  }
  const status = async (target: string, token: string): Promise<{ status: number; code?: string }> => {
    const res = await fetch(target, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json().catch(() => ({}))) as { code?: string };
    return { status: res.status, code: body.code };
  };
  const atOrders = (token: string) => status(`${url(ports.orders)}/whoami`, token);
  /** The token at orders, profiles and through the gateway's /api (each verifies it locally). */
  const everywhere = async (token: string): Promise<number[]> => [
    (await atOrders(token)).status,
    (await status(`${url(ports.profiles)}/whoami`, token)).status,
    (await status(`${url(ports.gateway)}/api/orders`, token)).status,
  ];

  it('refuses after a restart: a logged-out token, an authctl revoke --sub, a disabled client, a revoked signing key', async () => {
    // The signing key first: every token below is signed by its successor, so none is refused for that reason.
    const signedByRevokedKey = await userToken();
    expect((await atOrders(signedByRevokedKey)).status).toBe(200);
    const { kid } = decodeProtectedHeader(signedByRevokedKey);
    authctl('keys', 'revoke', '--reason', 'suite restart test', '--', kid!); // `--`: a kid may start with '-'
    await waitFor(async () => (await atOrders(signedByRevokedKey)).status === 401, 5000, 50);

    const loggedOut = await userToken();
    expect(decodeProtectedHeader(loggedOut).kid).not.toBe(kid);
    expect((await atOrders(loggedOut)).status).toBe(200);
    const logout = await fetch(`${url(ports.auth)}/auth/logout`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${loggedOut}` },
      body: '{}',
    });
    expect(logout.status).toBe(200);
    await waitFor(async () => (await atOrders(loggedOut)).code === 'token_revoked', 2000, 20);

    const subRevoked = await userToken();
    expect((await atOrders(subRevoked)).status).toBe(200);
    authctl('revoke', '--sub', decodeJwt(subRevoked).sub!);
    await waitFor(async () => (await atOrders(subRevoked)).code === 'token_revoked', 2000, 20);

    const created = JSON.parse(authctl('clients', 'create', 'restart-svc', '--scope', 'orders:read', '--audience', 'orders').stdout) as {
      clientSecret: string;
    };
    const issued = await clientToken('restart-svc', created.clientSecret);
    expect(issued.status).toBe(200);
    const ofDisabledClient = ((await issued.json()) as { access_token: string }).access_token;
    expect((await atOrders(ofDisabledClient)).status).toBe(200);
    authctl('clients', 'disable', 'restart-svc');
    await waitFor(async () => (await atOrders(ofDisabledClient)).code === 'token_revoked', 2000, 20);

    const revoked = { loggedOut, subRevoked, ofDisabledClient, signedByRevokedKey };
    const stillValid = await userToken();
    expect(await everywhere(stillValid)).toEqual([200, 200, 200]);

    await stopSuiteProcess(suite!, 'SIGINT');
    suite = undefined;
    suite = await startSuiteProcess(dataDir, ports);

    // A token issued before the restart still works: the 401s below are the revocations, not a new key or issuer.
    expect(await everywhere(stillValid)).toEqual([200, 200, 200]);
    for (const [name, token] of Object.entries(revoked))
      expect({ name, statuses: await everywhere(token) }).toEqual({ name, statuses: [401, 401, 401] });
    // The jti and subject revocations are refused as revoked, not for some other reason.
    for (const token of [loggedOut, subRevoked, ofDisabledClient]) expect((await atOrders(token)).code).toBe('token_revoked');
  }, 240_000);
});
