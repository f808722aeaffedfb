import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newClientKey, parsePrivateClientJwk, publicJwksOf } from './client-keys.js';
import { SERVICE_CLIENTS, seedFieldsOf } from './service-clients.js';

/** The service clients' credentials of a local run (`npm start`, `npm run start:topology`), kept under the data folder. */
export interface EmbeddedClients {
  /** AUTH_SEED_CLIENTS: every service client, with its secret or (private_key_jwt) its public JWKS. */
  readonly seedClients: string;
  /** The secret of a secret client; undefined for a key-based or unknown one. */
  secretOf(clientId: string): string | undefined;
  /** The private JWK (JSON) of a private_key_jwt client; undefined otherwise. */
  privateKeyOf(clientId: string): string | undefined;
}

/** `<clientId>-client-key.json`: the private key of a private_key_jwt client, next to suite-clients.json. */
export const clientKeyFile = (dataDir: string, clientId: string): string => join(dataDir, `${clientId}-client-key.json`);

function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  mkdirSync(join(file, '..'), { recursive: true });
  // 0600 like every generated secret here: a private key or a secret readable by others is a leak.
  writeFileSync(file, text, { mode: 0o600 });
}

/**
 * Generates the service clients' credentials once into `dataDir` so they survive restarts:
 * secrets into `suite-clients.json` (the AUTH_SEED_CLIENTS it seeds), and for a private_key_jwt
 * client (orders) a P-256 key pair whose private half goes to `<clientId>-client-key.json` and
 * whose public half is its `jwks` entry in suite-clients.json — no secret of that client exists
 * anywhere. A client missing from an older file is added; a client that had a secret and is now
 * key-based gets a key and loses the secret (auth's seeding then clears its secret hash). The
 * gateway's client is registered for the code flow at `gatewayPublicOrigin` (its callback and
 * post-logout page), re-written whenever that origin changes (another GATEWAY_PORT).
 */
export function embeddedClients(dataDir: string, gatewayPublicOrigin: string): EmbeddedClients {
  const file = join(dataDir, 'suite-clients.json');
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { clientId: string; secret?: unknown }[]) : [];
  const privateKeys = new Map<string, string>();
  const entries = SERVICE_CLIENTS.map((serviceClient) => {
    const client = seedFieldsOf(serviceClient, gatewayPublicOrigin);
    if (serviceClient.tokenEndpointAuthMethod === 'private_key_jwt') {
      const keyFile = clientKeyFile(dataDir, client.clientId);
      const key = parsePrivateClientJwk(existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : undefined) ?? newClientKey(client.clientId);
      const text = JSON.stringify(key);
      writeIfChanged(keyFile, text);
      privateKeys.set(client.clientId, text);
      return { ...client, jwks: publicJwksOf(key) };
    }
    const had = existing.find((c) => c.clientId === client.clientId)?.secret;
    return { ...client, secret: typeof had === 'string' ? had : randomBytes(32).toString('base64url') };
  });
  const seedClients = JSON.stringify(entries);
  writeIfChanged(file, seedClients);
  return {
    seedClients,
    secretOf: (clientId) => {
      const entry = entries.find((c) => c.clientId === clientId);
      return entry && 'secret' in entry ? entry.secret : undefined;
    },
    privateKeyOf: (clientId) => privateKeys.get(clientId),
  };
}
