import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedClients } from '../../apps/suite/src/embedded-clients.js';

/** The secrets every replica of a topology shares. */
export interface TopologySecrets {
  /** AUTH_KEK: both auth replicas must hold the same one, or each refuses the other's keys. */
  kek: string;
  /** AUTH_SEED_CLIENTS, as JSON: the service clients (orders, gateway, authctl) with their secrets or public keys. */
  seedClients: string;
  clientSecret(clientId: string): string;
  /** The private JWK (JSON) of a private_key_jwt client (orders): its ORDERS_CLIENT_KEY. */
  clientKey(clientId: string): string;
  /** AUTH_PROXY_SECRET = GATEWAY_PROXY_SECRET: new each run, as under `npm start`. */
  proxySecret: string;
  /** The seeded administrator (AUTH_SEED_ADMIN_*). */
  admin: { email: string; password: string };
}

const ADMIN_EMAIL = 'admin@example.com';

function readOrCreate(file: string, create: () => string): string {
  if (!existsSync(file)) {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, create(), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Generates the secrets once into `dataDir`, in `npm start`'s own files (`auth-kek`,
 * `suite-clients.json` and orders' `orders-client-key.json`, by the suite's own code), so a restart keeps them —
 * the KEK above all: it decrypts the signing keys already in auth's database — and `authctl` and
 * `npm run demo` read the authctl secret from where they always do. The admin password goes to
 * `admin.json` next to them (mode 0600, like the rest). The gateway's client is registered for
 * the code flow at `gatewayPublicOrigin` (the gateways' round-robin).
 */
export function topologySecrets(dataDir: string, gatewayPublicOrigin: string): TopologySecrets {
  const secret = (): string => randomBytes(32).toString('base64url');
  const kek = readOrCreate(join(dataDir, 'auth-kek'), () => randomBytes(32).toString('base64'));
  const clients = embeddedClients(dataDir, gatewayPublicOrigin);
  const admin = JSON.parse(
    readOrCreate(join(dataDir, 'admin.json'), () =>
      JSON.stringify({ email: ADMIN_EMAIL, password: randomBytes(18).toString('base64url') }),
    ),
  ) as { email: string; password: string };
  return {
    kek,
    seedClients: clients.seedClients,
    clientSecret: (clientId) => {
      const found = clients.secretOf(clientId);
      if (found === undefined) throw new Error(`no seeded secret client ${clientId}`);
      return found;
    },
    clientKey: (clientId) => {
      const found = clients.privateKeyOf(clientId);
      if (found === undefined) throw new Error(`no seeded private_key_jwt client ${clientId}`);
      return found;
    },
    proxySecret: secret(),
    admin,
  };
}
