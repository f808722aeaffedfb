import { CLIENT_GRANT_TYPES } from '@authmesh/contracts';
import { call, freePort, type JsonResponse, newTestApp, type TestApp } from '@authmesh/testing';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newAuthApp } from '../../../apps/auth/test/auth-fixture.js';
import { ordersApp } from '../../../apps/orders/src/orders.app.js';
import { profilesApp } from '../../../apps/profiles/src/profiles.app.js';
import type { AppDefinition } from '@authmesh/platform';
import { type GatewayConfig } from '../../../apps/gateway/src/config/gateway.config.js';
import { gatewayApp } from '../../../apps/gateway/src/gateway.app.js';

export const ISSUER = 'http://auth.test';
export const PASSWORD = 'a long enough passphrase';
export const ORDERS_CLIENT = {
  clientId: 'orders',
  secret: 'orders-secret-0123456789AbCdEfGhIjKl',
  scopes: ['profiles:read'],
  audiences: ['profiles'],
};
export const GATEWAY_CLIENT = {
  clientId: 'gateway',
  secret: 'gateway-secret-0123456789AbCdEfGhIjKl',
  scopes: ['openid', 'orders:read', 'orders:write', 'profiles:read', 'profiles:write'],
  audiences: ['auth', 'orders', 'profiles'],
  grantTypes: [...CLIENT_GRANT_TYPES],
  firstParty: true,
};

/** How many gateways one auth of `startAuth` can serve (each needs its redirect URI registered up front). */
const GATEWAYS_PER_AUTH = 4;
/** The ports reserved for the gateways of each auth, in the order `startGateway` takes them. */
const reservedPorts = new WeakMap<TestApp, number[]>();

/**
 * The next gateway port registered at `auth` (its `/session/callback` is a redirect URI of the
 * gateway's client there, its `/` a post-logout redirect URI). For a test that sets PORT itself.
 */
export function reservedGatewayPort(auth: TestApp): number {
  const port = reservedPorts.get(auth)?.shift();
  if (port === undefined) throw new Error(`startAuth registered redirect URIs for ${GATEWAYS_PER_AUTH} gateways; this test starts more`);
  return port;
}

/** The gateway's client as seeded at an auth that will serve gateways on `ports` (both loopback spellings). */
function gatewayClientFor(ports: readonly number[]): Record<string, unknown> {
  const origins = ports.flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`]);
  return {
    ...GATEWAY_CLIENT,
    redirectUris: origins.map((o) => `${o}/session/callback`),
    postLogoutRedirectUris: origins.map((o) => `${o}/`),
  };
}
export const ADDRESS = { line1: '1 Main Street', city: 'Lyon', postalCode: '69001', country: 'FR' };
export const CART = { items: [{ sku: 'BOOK-1', quantity: 2, unitPrice: 1250 }], currency: 'EUR' };

/**
 * The secret with which the gateway proves to auth that it wrote X-Forwarded-For (as `npm start`
 * wires them): auth's per-address guessing budgets then see each test client, not the gateway.
 */
export const PROXY_SECRET = randomBytes(32).toString('base64url');

/**
 * Auth with the orders and gateway clients seeded (the gateway's with the token-exchange grant:
 * every `/api` route exchanges by default), believing the gateway's proven X-Forwarded-For. Its
 * per-address budgets are lifted: every test
 * file talks to it from 127.0.0.1 through one shared Redis, so the defaults would make files that
 * run in parallel throttle each other.
 */
export async function startAuth(env: Record<string, string> = {}): Promise<TestApp> {
  const ports: number[] = [];
  while (ports.length < GATEWAYS_PER_AUTH) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  // A test's own client list keeps its gateway client, with the redirect URIs of these ports.
  const seeded =
    env.AUTH_SEED_CLIENTS === undefined ? [ORDERS_CLIENT, GATEWAY_CLIENT] : (JSON.parse(env.AUTH_SEED_CLIENTS) as { clientId: string }[]);
  const clients = seeded.map((c) => (c.clientId === GATEWAY_CLIENT.clientId ? { ...c, ...gatewayClientFor(ports) } : c));
  const auth = await newAuthApp({
    AUTH_RATE_LIMIT_PER_MIN: '1000000',
    AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    AUTH_PROXY_SECRET: PROXY_SECRET,
    ...env,
    AUTH_SEED_CLIENTS: JSON.stringify(clients),
  });
  reservedPorts.set(auth, ports);
  return auth;
}

export function verifierEnv(auth: TestApp): Record<string, string> {
  return { AUTH_ISSUER: ISSUER, AUTH_JWKS_URI: `${auth.url}/.well-known/jwks.json` };
}

/** Profiles and orders (which calls profiles with its client-credentials token) behind `auth`. */
export async function startServices(auth: TestApp, env: Record<string, string> = {}): Promise<{ orders: TestApp; profiles: TestApp }> {
  const profiles = await newTestApp(profilesApp, { ...verifierEnv(auth), ...env });
  const orders = await newTestApp(ordersApp, {
    ...verifierEnv(auth),
    AUTH_TOKEN_URL: `${auth.url}/oauth/token`,
    ORDERS_CLIENT_SECRET: ORDERS_CLIENT.secret,
    PROFILES_URL: profiles.url,
    ...env,
  });
  return { orders, profiles };
}

/** A Redis key namespace of this test file's own (sessions, locks, rate-limit counters). */
export const uniquePrefix = (label: string): string => `test:gw-${label}-${randomBytes(4).toString('hex')}:`;

/** A clock the test can move forward (edge verification, sessions); real time plus an offset. */
export class TestClock {
  offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
}

/**
 * The gateway on a port reserved by `startAuth` (its public origin names the port, and auth has
 * its redirect URI), in front of the given upstreams, with browsers sent to auth's own URL
 * (GATEWAY_AUTH_PUBLIC_URL). `clock` replaces its clock (code-only option).
 */
export async function startGateway(
  upstreams: { auth: TestApp; ordersUrl: string; profilesUrl: string },
  env: Record<string, string> = {},
  clock?: TestClock,
): Promise<TestApp<GatewayConfig> & { origin: string }> {
  // An auth not started by startAuth has no redirect URI for this gateway: any free port then
  // (everything but browser logins works).
  const port =
    env.PORT !== undefined ? Number(env.PORT) : reservedPorts.has(upstreams.auth) ? reservedGatewayPort(upstreams.auth) : await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const definition: AppDefinition<GatewayConfig> = clock
    ? { ...gatewayApp, loadConfig: (e) => ({ ...gatewayApp.loadConfig(e), now: clock.now }) }
    : gatewayApp;
  const app = await newTestApp(definition, {
    ...verifierEnv(upstreams.auth),
    PORT: String(port),
    GATEWAY_PUBLIC_ORIGIN: origin,
    AUTH_URL: upstreams.auth.url,
    GATEWAY_AUTH_PUBLIC_URL: upstreams.auth.url,
    // The issuer of the tests (http://auth.test) is not loopback.
    GATEWAY_AUTH_ALLOW_HTTP: 'true',
    ORDERS_URL: upstreams.ordersUrl,
    PROFILES_URL: upstreams.profilesUrl,
    GATEWAY_REDIS_KEY_PREFIX: uniquePrefix('x'),
    GATEWAY_PROXY_SECRET: PROXY_SECRET,
    // Every /api route is exchanged by default: the gateway's client is seeded at auth (startAuth).
    GATEWAY_CLIENT_SECRET: GATEWAY_CLIENT.secret,
    ...env,
  });
  return Object.assign(app, { origin });
}

/** Kept under the name the gateway tests use. */
export type JsonAnswer<T = Record<string, unknown>> = JsonResponse<T>;
export { call };

/** Registers a user at auth (directly) and returns its email. */
export async function registerUser(authUrl: string, label: string): Promise<string> {
  const email = `${label}-${randomBytes(5).toString('hex')}@example.com`;
  const res = await call(`${authUrl}/auth/register`, { body: { email, password: PASSWORD } });
  if (res.status !== 202) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return email;
}

/** A user's tokens from auth's own JSON /auth/login (first-party, non-browser clients; not proxied by the gateway). */
export async function loginAt(
  url: string,
  email: string,
): Promise<{ access_token: string; refresh_token: string; scope: string; expires_in: number }> {
  const res = await call<{ access_token: string; refresh_token: string; scope: string; expires_in: number }>(`${url}/auth/login`, {
    body: { email, password: PASSWORD },
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** What an upstream test server saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  bodyBytes: number;
}

/**
 * A tiny upstream the test owns: records each request and answers 200 with what it saw, except
 * `/…/hang`, which never answers (for the timeout test).
 */
export class RecordingUpstream {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly seen: SeenRequest[],
  ) {}

  static async start(): Promise<RecordingUpstream> {
    const seen: SeenRequest[] = [];
    const server = createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
      req.on('end', () => {
        const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes };
        seen.push(entry);
        if (req.url?.endsWith('/hang')) return; // never answers
        res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=5', 'x-upstream': 'recording' });
        res.end(JSON.stringify(entry));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new RecordingUpstream(server, `http://127.0.0.1:${port}`, seen);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A URL where nothing listens (a port that was free a moment ago). */
export async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * A pass-through proxy the test owns in front of a real service: forwards every request and
 * records the headers it carried (to see exactly which token the service received).
 */
export class RecordingProxy {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly seen: IncomingHttpHeaders[],
  ) {}

  static async start(target: string): Promise<RecordingProxy> {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = { ...req.headers };
        delete headers.host;
        delete headers.connection;
        delete headers['content-length'];
        fetch(`${target}${req.url}`, {
          method: req.method,
          headers: headers as Record<string, string>,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        })
          .then(async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new RecordingProxy(server, `http://127.0.0.1:${port}`, seen);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
