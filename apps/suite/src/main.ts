import 'reflect-metadata';
import { type AppDefinition, type RunningApp, exitOnStartupError, startApp } from '@authmesh/platform';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { forwardingEnv } from './forwarding-env.js';
import { embeddedClients } from './embedded-clients.js';
import { SUITE_ENV } from './suite-env.js';

/**
 * `npm start`: every service in one process, each on its own port, with embedded defaults so a
 * fresh clone runs with no setup. Apps are loaded by path at run time (the suite is the
 * composition root; apps never import each other at compile time). Auth starts first: before it
 * listens it re-seeds the in-memory blocklist (empty in a new process) from its revocation ledger
 * in the embedded database, so no verifier ever starts on a store that forgot a revocation.
 */
const APPS = [
  { name: 'auth', port: 3001 },
  { name: 'profiles', port: 3003 },
  { name: 'orders', port: 3002 },
  { name: 'gateway', port: 3000 },
] as const;

const dataDir = resolve(process.env[SUITE_ENV.dataDir.name] ?? SUITE_ENV.dataDir.default);
const embedded: EmbeddedPostgres[] = [];
const running: RunningApp[] = [];

/** A key-encryption key for embedded mode, generated once into .data/ (never used outside `npm start`). */
function embeddedKek(): string {
  const file = join(dataDir, 'auth-kek');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The secret of one seeded client (undefined when it is not seeded; orders then reports it missing). */
function seededSecret(seedClients: string, clientId: string): string | undefined {
  try {
    const clients = JSON.parse(seedClients) as { clientId?: unknown; secret?: unknown }[];
    const secret = clients.find((c) => c.clientId === clientId)?.secret;
    return typeof secret === 'string' ? secret : undefined;
  } catch {
    return undefined; // auth reports a malformed AUTH_SEED_CLIENTS itself
  }
}

/** The host a browser on this machine uses for a service listening on `host` (a wildcard means loopback). */
function loopbackHost(host: string | undefined): string {
  if (host === undefined || host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function loadDefinition(name: string): Promise<AppDefinition> {
  const mod = (await import(`../../${name}/src/${name}.app.js`)) as Record<string, AppDefinition>;
  const definition = mod[`${name}App`];
  if (!definition) throw new Error(`apps/${name} does not export ${name}App`);
  return definition;
}

async function stopAll(): Promise<void> {
  for (const app of running.reverse()) await app.close().catch(() => undefined);
  for (const db of embedded) await db.stop().catch(() => undefined);
}

async function main(): Promise<void> {
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.PORT;
  // Each service gets its own management listener (its default, <APP>_MANAGEMENT_PORT to move it).
  delete base.MANAGEMENT_PORT;
  const notes: string[] = [];
  if (!base.REDIS_URL) {
    base.REDIS_URL = 'memory://';
    notes.push('REDIS_URL unset: using an in-memory stand-in for Redis (valid only because every service runs in this one process)');
  }
  if (!base.DATABASE_URL) notes.push(`DATABASE_URL unset: using embedded PGlite databases under ${join(dataDir, 'pglite')}`);
  base.AUTH_KEK ??= embeddedKek();
  const ordersClientId = base.ORDERS_CLIENT_ID ?? 'orders';
  const gatewayPort = base.GATEWAY_PORT ?? String(APPS.find((a) => a.name === 'gateway')!.port);
  // The gateway's origin: GATEWAY_PUBLIC_ORIGIN, else its default (gateway.config.ts:
  // http://<HOST>:<PORT>, 127.0.0.1 for a wildcard HOST). Its code-flow redirect URI is registered
  // at auth for exactly this origin. Not written into the gateway's env: an explicit origin would
  // also drop the `localhost` spelling its CSRF check accepts by default.
  const gatewayPublicOrigin = base.GATEWAY_PUBLIC_ORIGIN ?? `http://${loopbackHost(base.HOST)}:${gatewayPort}`;
  if (base.AUTH_SEED_CLIENTS === undefined) {
    // The service clients, with credentials generated once into .data/ (embedded-clients.ts), the
    // gateway's registered as the first-party code-flow client of GATEWAY_PUBLIC_ORIGIN.
    const clients = embeddedClients(dataDir, gatewayPublicOrigin);
    base.AUTH_SEED_CLIENTS = clients.seedClients;
    // Orders calls profiles with its own client-credentials token, authenticated by private_key_jwt
    // (RFC 7523): auth holds only its public key, orders its private key; no secret between them.
    if (base.ORDERS_CLIENT_SECRET === undefined) base.ORDERS_CLIENT_KEY ??= clients.privateKeyOf(ordersClientId);
  }
  // An explicit AUTH_SEED_CLIENTS giving orders a secret: orders uses that secret.
  if (base.ORDERS_CLIENT_KEY === undefined) base.ORDERS_CLIENT_SECRET ??= seededSecret(base.AUTH_SEED_CLIENTS, ordersClientId);
  // The gateway's client is seeded too: it exchanges (RFC 8693) the user's token for one of each
  // routed service's audience alone on every /api route (GATEWAY_FORWARD_UNCHANGED_ROUTES aside).
  base.GATEWAY_CLIENT_SECRET ??= seededSecret(base.AUTH_SEED_CLIENTS, base.GATEWAY_CLIENT_ID ?? 'gateway');
  for (const note of notes) process.stdout.write(`suite: ${note}\n`);

  const needsEmbedded = base.DATABASE_URL ? [] : APPS.map((a) => a.name).filter((n) => !base[`${n.toUpperCase()}_DATABASE_URL`]);
  const databases = await EmbeddedPostgres.startAll(dataDir, needsEmbedded);
  embedded.push(...databases.values());

  const proxySecret = base.AUTH_PROXY_SECRET ?? base.GATEWAY_PROXY_SECRET ?? randomBytes(32).toString('base64url');
  for (const { name, port } of APPS) {
    const env: Record<string, string | undefined> = { ...base, PORT: base[`${name.toUpperCase()}_PORT`] ?? String(port) };
    env.MANAGEMENT_PORT = base[`${name.toUpperCase()}_MANAGEMENT_PORT`];
    // Auth takes the client address from the gateway's X-Forwarded-For only with the gateway's
    // proof, never from whoever connects from 127.0.0.1 (forwarding-env.ts). Explicit values win.
    for (const [k, v] of Object.entries(forwardingEnv(name, proxySecret))) env[k] ??= v;
    // DPoP proofs (RFC 9449) name the URL a request was sent to: each service's own address here,
    // which is where the gateway forwards too. An explicit JWT_DPOP_ORIGINS wins.
    if (name === 'orders' || name === 'profiles') {
      const host = env.HOST === undefined || env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
      env.JWT_DPOP_ORIGINS ??= `http://${host}:${env.PORT}`;
    }
    const db = databases.get(name);
    if (db) env[`${name.toUpperCase()}_DATABASE_URL`] = db.url;
    const app = await startApp(await loadDefinition(name), env);
    running.push(app);
    // Services verify auth's tokens locally: point them at the auth that just started (it signs
    // tokens with `iss` = its own URL by default). An explicit AUTH_ISSUER wins.
    if (name === 'auth' && !base.AUTH_ISSUER) base.AUTH_ISSUER = app.url;
    // Profiles starts before orders, which calls it. An explicit PROFILES_URL wins.
    if (name === 'profiles' && !base.PROFILES_URL) base.PROFILES_URL = app.url;
    // The gateway (started last) routes to the others. Explicit URLs win.
    if (name === 'auth') base.AUTH_URL ??= app.url;
    // Browsers reach auth where the gateway does here (the same machine): its hosted login page
    // and authorization endpoint are at auth's own URL.
    if (name === 'auth') base.GATEWAY_AUTH_PUBLIC_URL ??= base.AUTH_URL;
    if (name === 'orders') base.ORDERS_URL ??= app.url;
    process.stdout.write(`suite: ${name} ready on ${app.url} (metrics and health on ${app.managementUrl})\n`);
  }
  process.stdout.write(`suite: all ${running.length} services ready (Ctrl-C to stop)\n`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    void stopAll().then(() => process.exit(0));
  });
}

main().catch(async (err: unknown) => {
  await stopAll();
  exitOnStartupError('suite', err);
});
