import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedClients } from './embedded-clients.js';

const ORIGIN = 'http://127.0.0.1:3000';

describe('npm start: the service clients under .data/', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authmesh-clients-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives orders a key pair (private half 0600, public half seeded) and no secret; the others secrets; the same on a second run', () => {
    const first = embeddedClients(dir, ORIGIN);
    const seeded = JSON.parse(first.seedClients) as { clientId: string; secret?: string; jwks?: { keys: Record<string, string>[] } }[];
    const orders = seeded.find((c) => c.clientId === 'orders')!;
    expect(orders.secret).toBeUndefined();
    expect(first.secretOf('orders')).toBeUndefined();
    const privateJwk = JSON.parse(first.privateKeyOf('orders')!) as Record<string, string>;
    const { d: _d, ...publicJwk } = privateJwk;
    expect(orders.jwks).toEqual({ keys: [publicJwk] });
    expect(first.seedClients).not.toContain(privateJwk.d);
    expect(statSync(join(dir, 'orders-client-key.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'suite-clients.json')).mode & 0o777).toBe(0o600);
    expect(first.secretOf('gateway')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(embeddedClients(dir, ORIGIN).seedClients).toBe(first.seedClients);
  });

  it('moves a data folder written before orders had a key: orders loses its secret, the others keep theirs', () => {
    const old = [
      { clientId: 'orders', secret: 'old-orders-secret', scopes: ['profiles:read'], audiences: ['profiles'] },
      { clientId: 'authctl', secret: 'old-authctl-secret', scopes: ['auth:admin'], audiences: ['auth'] },
    ];
    writeFileSync(join(dir, 'suite-clients.json'), JSON.stringify(old));
    const clients = embeddedClients(dir, ORIGIN);
    expect(clients.secretOf('authctl')).toBe('old-authctl-secret');
    expect(clients.secretOf('orders')).toBeUndefined();
    expect(readFileSync(join(dir, 'suite-clients.json'), 'utf8')).not.toContain('old-orders-secret');
    expect(clients.privateKeyOf('orders')).toBeDefined();
  });

  it("registers the gateway as the first-party code-flow client of the gateway's origin, and follows a new origin", () => {
    type Seeded = {
      clientId: string;
      grantTypes?: string[];
      redirectUris?: string[];
      postLogoutRedirectUris?: string[];
      firstParty?: boolean;
    };
    const gatewayOf = (seed: string): Seeded => (JSON.parse(seed) as Seeded[]).find((c) => c.clientId === 'gateway')!;
    const first = embeddedClients(dir, ORIGIN);
    expect(gatewayOf(first.seedClients)).toMatchObject({
      redirectUris: ['http://127.0.0.1:3000/session/callback'],
      postLogoutRedirectUris: ['http://127.0.0.1:3000/'],
      firstParty: true,
      grantTypes: expect.arrayContaining(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange']),
    });
    // Only the browser-facing client gets redirect URIs.
    const others = (JSON.parse(first.seedClients) as Seeded[]).filter((c) => c.clientId !== 'gateway');
    for (const c of others) expect(c.redirectUris).toBeUndefined();
    const moved = embeddedClients(dir, 'http://127.0.0.1:8080');
    expect(gatewayOf(moved.seedClients).redirectUris).toEqual(['http://127.0.0.1:8080/session/callback']);
    expect(moved.secretOf('gateway')).toBe(first.secretOf('gateway'));
  });
});
