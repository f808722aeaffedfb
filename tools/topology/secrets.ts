import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICE_CLIENTS } from '../../apps/suite/src/service-clients.js';

/** The secrets every replica of a topology shares. */
export interface TopologySecrets {
  /** AUTH_KEK: both auth replicas must hold the same one, or each refuses the other's keys. */
  kek: string;
  /** AUTH_SEED_CLIENTS, as JSON: the service clients (orders, gateway, authctl) with their secrets. */
  seedClients: string;
  clientSecret(clientId: string): string;
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
 * `suite-clients.json`, same format, same client list from apps/suite), so a restart keeps them —
 * the KEK above all: it decrypts the signing keys already in auth's database — and `authctl` and
 * `npm run demo` read the authctl secret from where they always do. The admin password goes to
 * `admin.json` next to them (mode 0600, like the rest).
 */
export function topologySecrets(dataDir: string): TopologySecrets {
  const secret = (): string => randomBytes(32).toString('base64url');
  const kek = readOrCreate(join(dataDir, 'auth-kek'), () => randomBytes(32).toString('base64'));
  const clientsFile = join(dataDir, 'suite-clients.json');
  const existing = existsSync(clientsFile) ? (JSON.parse(readFileSync(clientsFile, 'utf8')) as { clientId: string; secret: string }[]) : [];
  const clients = SERVICE_CLIENTS.map((c) => ({ ...c, secret: existing.find((e) => e.clientId === c.clientId)?.secret ?? secret() }));
  const seedClients = JSON.stringify(clients);
  if (!existsSync(clientsFile) || readFileSync(clientsFile, 'utf8') !== seedClients) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(clientsFile, seedClients, { mode: 0o600 });
  }
  const admin = JSON.parse(
    readOrCreate(join(dataDir, 'admin.json'), () =>
      JSON.stringify({ email: ADMIN_EMAIL, password: randomBytes(18).toString('base64url') }),
    ),
  ) as { email: string; password: string };
  return {
    kek,
    seedClients,
    clientSecret: (clientId) => {
      const found = clients.find((c) => c.clientId === clientId);
      if (!found) throw new Error(`no seeded client ${clientId}`);
      return found.secret;
    },
    proxySecret: secret(),
    admin,
  };
}
