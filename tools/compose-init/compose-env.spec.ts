import {
  COMPOSE_ENV_FILES,
  COMPOSE_GATEWAY_ORIGIN,
  COMPOSE_REDIS_URL,
  composeEnvFiles,
  parseEnvFile,
  renderEnvFile,
} from './compose-env.js';

/** A deterministic stand-in for randomBytes: distinct, well-formed values, one per call. */
function counter(): (bytes: number, encoding: 'base64' | 'base64url') => string {
  let n = 0;
  return (bytes, encoding) => Buffer.alloc(bytes, ++n).toString(encoding);
}

describe('compose env files', () => {
  it('gives each service the secrets it needs, consistent with one another', () => {
    const files = composeEnvFiles({}, counter());
    const clients = JSON.parse(files.auth.AUTH_SEED_CLIENTS!) as { clientId: string; secret?: string; jwks?: { keys: object[] } }[];
    const secretOf = (id: string) => clients.find((c) => c.clientId === id)?.secret;
    // Orders is a private_key_jwt client: auth is seeded with its public key only, orders holds the private one.
    const ordersKey = JSON.parse(files.orders.ORDERS_CLIENT_KEY!) as Record<string, string>;
    const { d: _d, ...ordersPublic } = ordersKey;
    expect(secretOf('orders')).toBeUndefined();
    expect(clients.find((c) => c.clientId === 'orders')?.jwks).toEqual({ keys: [ordersPublic] });
    expect(files.orders.ORDERS_CLIENT_SECRET).toBeUndefined();
    expect(files.auth.AUTH_SEED_CLIENTS).not.toContain(ordersKey.d);
    expect(secretOf('gateway')).toBe(files.gateway.GATEWAY_CLIENT_SECRET);
    expect(secretOf('authctl')).toBe(files.authctl.AUTHCTL_CLIENT_SECRET);
    expect(files.gateway.GATEWAY_PROXY_SECRET).toBe(files.auth.AUTH_PROXY_SECRET);
    for (const app of ['auth', 'orders', 'profiles', 'gateway'] as const) {
      expect(files[app].DATABASE_URL).toBe(`postgres://postgres:${files.postgres.POSTGRES_PASSWORD}@postgres:5432/authmesh`);
    }
    expect(Buffer.from(files.auth.AUTH_KEK!, 'base64')).toHaveLength(32);
    expect(files.auth.AUTH_SEED_ADMIN_PASSWORD!.length).toBeGreaterThanOrEqual(12);
    expect(files.auth.AUTH_PROXY_SECRET!.length).toBeGreaterThanOrEqual(32);
  });

  it("registers the gateway as the first-party code-flow client of compose's published gateway origin", () => {
    const files = composeEnvFiles({}, counter());
    const clients = JSON.parse(files.auth.AUTH_SEED_CLIENTS!) as Record<string, unknown>[];
    expect(clients.find((c) => c.clientId === 'gateway')).toMatchObject({
      redirectUris: [`${COMPOSE_GATEWAY_ORIGIN}/session/callback`],
      postLogoutRedirectUris: [`${COMPOSE_GATEWAY_ORIGIN}/`],
      firstParty: true,
      grantTypes: expect.arrayContaining(['authorization_code', 'refresh_token']),
    });
    expect(clients.find((c) => c.clientId === 'authctl')).not.toHaveProperty('redirectUris');
  });

  it('keeps every secret on a second run (the Postgres volume and the KEK-encrypted keys depend on them)', () => {
    const first = composeEnvFiles({}, counter());
    const reread = Object.fromEntries(COMPOSE_ENV_FILES.map((f) => [f, parseEnvFile(renderEnvFile(first[f]))]));
    const second = composeEnvFiles(reread, () => {
      throw new Error('nothing should be generated');
    });
    expect(second).toEqual(first);
  });

  it("writes REDIS_URL (a secret: it may carry passwords) into each app's file, none into authctl's or postgres'", () => {
    const files = composeEnvFiles({}, counter());
    for (const app of ['auth', 'orders', 'profiles', 'gateway'] as const) expect(files[app].REDIS_URL).toBe(COMPOSE_REDIS_URL);
    expect(files.authctl.REDIS_URL).toBeUndefined();
    expect(files.postgres.REDIS_URL).toBeUndefined();
  });

  it('keeps a REDIS_URL edited by hand (a password, Sentinel with its own password) on a second run', () => {
    const first = composeEnvFiles({}, counter());
    const edited = 'redis+sentinel://default:p%40ss@sentinel-0:26379,sentinel-1:26379/authmesh?sentinelPassword=s%26cret';
    const onDisk = Object.fromEntries(
      COMPOSE_ENV_FILES.map((f) => [f, parseEnvFile(renderEnvFile(f === 'gateway' ? { ...first[f], REDIS_URL: edited } : first[f]))]),
    );
    const second = composeEnvFiles(onDisk, () => {
      throw new Error('nothing should be generated');
    });
    expect(second.gateway.REDIS_URL).toBe(edited);
    expect(second.orders.REDIS_URL).toBe(COMPOSE_REDIS_URL);
    expect(second).toEqual({ ...first, gateway: { ...first.gateway, REDIS_URL: edited } });
  });

  it('generates only what a partial set of files lacks', () => {
    const first = composeEnvFiles({}, counter());
    const second = composeEnvFiles({ postgres: first.postgres }, (bytes, enc) => Buffer.alloc(bytes, 200).toString(enc));
    expect(second.postgres).toEqual(first.postgres);
    expect(second.auth.AUTH_KEK).not.toBe(first.auth.AUTH_KEK);
  });

  it('refuses a value an env-file reader would not take literally', () => {
    expect(() => renderEnvFile({ A: 'has space' })).toThrow('A:');
    expect(() => renderEnvFile({ B: 'a$b' })).toThrow('B:');
    expect(() => renderEnvFile({ C: "'quoted'" })).toThrow('C:');
    expect(() => renderEnvFile({ D: 'redis://:pw#x@redis:6379' })).toThrow('D:');
  });
});
