import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError } from '@authmesh/platform';
import { loadAuthConfig } from './auth.config.js';

const valid = {
  DATABASE_URL: 'postgres://127.0.0.1:5432/authmesh',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_KEK: randomBytes(32).toString('base64'),
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadAuthConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('auth configuration', () => {
  it('defaults the key lifecycle: rotation every 30 days, publish delay twice the JWKS max-age, checks every 5 s', () => {
    expect(loadAuthConfig(valid).auth.keys).toEqual({ rotationDays: 30, publishDelaySeconds: 600, checkIntervalSeconds: 5 });
  });

  it('gives admin tokens 120 s by default, never more than the access-token lifetime', () => {
    expect(loadAuthConfig(valid).auth.adminTokenTtlSeconds).toBe(120);
    expect(loadAuthConfig({ ...valid, AUTH_ACCESS_TOKEN_TTL_S: '60' }).auth.adminTokenTtlSeconds).toBe(60);
    expect(loadAuthConfig({ ...valid, AUTH_ADMIN_TOKEN_TTL_S: '30' }).auth.adminTokenTtlSeconds).toBe(30);
    expect(problemsOf({ ...valid, AUTH_ACCESS_TOKEN_TTL_S: '60', AUTH_ADMIN_TOKEN_TTL_S: '90' })).toEqual([
      expect.stringMatching(/^AUTH_ADMIN_TOKEN_TTL_S: must not exceed AUTH_ACCESS_TOKEN_TTL_S \(60\)/),
    ]);
  });

  it('defaults DPoP to no required nonce, a 60 s proof window and the public token endpoint as the only htu', () => {
    expect(loadAuthConfig({ ...valid, AUTH_ISSUER: 'https://auth.example/' }).auth.dpop).toEqual({
      requireNonce: false,
      nonceWindowSeconds: 300,
      proofWindowSeconds: 60,
      tokenEndpointUrls: ['https://auth.example/oauth/token'],
      edgeClients: ['gateway'],
    });
    const inCluster = loadAuthConfig({
      ...valid,
      AUTH_ISSUER: 'https://auth.example',
      AUTH_DPOP_REQUIRE_NONCE: 'true',
      AUTH_DPOP_TOKEN_URLS: 'http://auth:3000/oauth/token, https://auth.example/oauth/token',
    }).auth.dpop;
    expect(inCluster).toMatchObject({
      requireNonce: true,
      tokenEndpointUrls: ['https://auth.example/oauth/token', 'http://auth:3000/oauth/token'],
    });
  });

  it('lets only the gateway rebind a bound token by default, and takes a list of edge clients', () => {
    expect(loadAuthConfig(valid).auth.dpop.edgeClients).toEqual(['gateway']);
    expect(loadAuthConfig({ ...valid, AUTH_DPOP_EDGE_CLIENTS: 'gateway, edge-2' }).auth.dpop.edgeClients).toEqual(['gateway', 'edge-2']);
  });

  it('names each bad DPoP variable', () => {
    const problems = problemsOf({
      ...valid,
      AUTH_DPOP_REQUIRE_NONCE: 'maybe',
      AUTH_DPOP_PROOF_WINDOW_S: '3600',
      AUTH_DPOP_TOKEN_URLS: 'ftp://auth/x',
      AUTH_DPOP_EDGE_CLIENTS: 'gateway not/a/client',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^AUTH_DPOP_REQUIRE_NONCE: /),
      expect.stringMatching(/^AUTH_DPOP_PROOF_WINDOW_S: /),
      expect.stringMatching(/^AUTH_DPOP_TOKEN_URLS: /),
      expect.stringMatching(/^AUTH_DPOP_EDGE_CLIENTS: /),
    ]);
  });

  it('refuses a publish delay that is not longer than the JWKS max-age (verifiers would meet the key before holding it)', () => {
    expect(problemsOf({ ...valid, AUTH_JWKS_MAX_AGE_S: '300', AUTH_KEY_PUBLISH_DELAY_S: '300' })).toEqual([
      expect.stringMatching(/^AUTH_KEY_PUBLISH_DELAY_S: must be longer than AUTH_JWKS_MAX_AGE_S/),
    ]);
  });

  it('refuses seeded client ids a user could share (UUID-shaped) or that name the first-party client', () => {
    const clients = [
      {
        clientId: '0b6f9a52-3c4e-4a8e-9d7b-2f1e5c6d7a8b',
        secret: 'a-long-enough-secret-0123456789AbCdEf',
        scopes: [],
        audiences: ['orders'],
      },
      { clientId: 'authmesh', secret: 'a-long-enough-secret-0123456789AbCdEf', scopes: [], audiences: ['orders'] },
    ];
    const problems = problemsOf({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify(clients) });
    expect(problems).toHaveLength(2);
    expect(problems.every((p) => p.startsWith('AUTH_SEED_CLIENTS: '))).toBe(true);
  });

  it('seeds code-flow clients with the admin API redirect URI rules, naming the client and the URI', () => {
    const web = {
      clientId: 'web',
      public: true,
      scopes: ['openid'],
      audiences: ['orders'],
      grantTypes: ['authorization_code'],
      redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1:8080/cb'],
      postLogoutRedirectUris: ['https://app.example.com/'],
      firstParty: true,
    };
    expect(loadAuthConfig({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify([web]) }).auth.seedClients).toEqual([web]);
    const problems = problemsOf({
      ...valid,
      AUTH_SEED_CLIENTS: JSON.stringify([
        { ...web, clientId: 'evil', redirectUris: ['http://evil.example/cb', 'https://*.example.com/cb'] },
        { ...web, clientId: 'none', redirectUris: [] },
        { ...web, clientId: 'frag', postLogoutRedirectUris: ['https://app.example.com/#x'] },
      ]),
    });
    expect(problems.join('\n')).toMatch(
      /client "evil": redirect URI "http:\/\/evil\.example\/cb" uses http on a host that is not loopback/,
    );
    expect(problems.join('\n')).toMatch(/client "evil": redirect URI "https:\/\/\*\.example\.com\/cb" contains "\*"/);
    expect(problems.join('\n')).toMatch(/client "none": the authorization_code grant needs at least one redirect URI/);
    expect(problems.join('\n')).toMatch(/client "frag": redirect URI "https:\/\/app\.example\.com\/#x" has a fragment/);
    // A public client with a secret is refused by the schema, before the rules above run.
    const both = problemsOf({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify([{ ...web, clientId: 'both', secret: 'a'.repeat(40) }]) });
    expect(both.join('\n')).toMatch(/client "both" is public: it has neither secret nor jwks/);
  });

  it('refuses a seeded client secret weaker than 128 bits, naming AUTH_SEED_CLIENTS and the client id, never the secret', () => {
    const weak = [
      { clientId: 'short', secret: 'orders-secret-0123456789', scopes: [], audiences: ['orders'] },
      { clientId: 'samey', secret: 'a'.repeat(40), scopes: [], audiences: ['orders'] },
      { clientId: 'fine', secret: randomBytes(32).toString('base64url'), scopes: [], audiences: ['orders'] },
    ];
    const problems = problemsOf({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify(weak) });
    expect(problems).toEqual([
      'AUTH_SEED_CLIENTS: client "short": secret must be at least 32 characters (it has 24)',
      'AUTH_SEED_CLIENTS: client "short": generate one with: openssl rand -base64 32',
      'AUTH_SEED_CLIENTS: client "samey": secret must have at least 8 distinct characters (it has 1)',
      'AUTH_SEED_CLIENTS: client "samey": generate one with: openssl rand -base64 32',
    ]);
    expect(problems.join('\n')).not.toMatch(/orders-secret|aaaa/);
  });

  it('seeds a private_key_jwt client from a jwks entry (public members only) and refuses a bad JWKS or both credentials, naming AUTH_SEED_CLIENTS', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', x5c: ['ignored'] };
    const keyed = { clientId: 'keyed', jwks: { keys: [publicJwk] }, scopes: [], audiences: ['orders'] };
    const { auth } = loadAuthConfig({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify([keyed]) });
    const { x5c: _x5c, ...stored } = publicJwk;
    expect(auth.seedClients).toEqual([{ ...keyed, jwks: { keys: [stored] } }]);
    const bad = [
      { ...keyed, clientId: 'leaky', jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1' }] } },
      { ...keyed, clientId: 'both', secret: 'a-long-enough-secret' },
      { clientId: 'neither', scopes: [], audiences: ['orders'] },
    ];
    const problems = problemsOf({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify(bad) });
    // One line for the variable, every problem in it (the reader's format).
    expect(problems).toEqual([
      'AUTH_SEED_CLIENTS: client "leaky": jwks.keys[0] must be a public key (it holds private members: d); ' +
        'client "both" must have exactly one of secret and jwks; client "neither" must have exactly one of secret and jwks',
    ]);
    expect(problems.join('\n')).not.toContain((privateKey.export({ format: 'jwk' }) as { d: string }).d);
  });

  it('derives the client catalogue from the user scopes, auth:admin/auth:introspect, the suite services and the seeded clients', () => {
    const seeded = [
      { clientId: 'billing', secret: 'a-long-enough-secret-0123456789AbCdEf', scopes: ['billing:run'], audiences: ['ledger'] },
    ];
    const { auth } = loadAuthConfig({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify(seeded) });
    expect(auth.knownScopes).toEqual(
      expect.arrayContaining([
        'orders:read',
        'orders:write',
        'profiles:read',
        'profiles:write',
        'auth:admin',
        'auth:introspect',
        'billing:run',
      ]),
    );
    expect(auth.knownAudiences).toEqual(expect.arrayContaining(['auth', 'gateway', 'orders', 'profiles', 'ledger']));
    const declared = loadAuthConfig({ ...valid, AUTH_KNOWN_SCOPES: 'reports:read auth:admin', AUTH_KNOWN_AUDIENCES: 'reports' }).auth;
    expect(declared.knownScopes).toEqual(['reports:read', 'auth:admin']);
    expect(declared.knownAudiences).toEqual(['reports']);
  });

  it('names AUTH_KNOWN_SCOPES, AUTH_EMAIL_VERIFICATION and AUTH_MAIL_WEBHOOK_URL when they are malformed', () => {
    const problems = problemsOf({
      ...valid,
      AUTH_KNOWN_SCOPES: 'ok "quoted"',
      AUTH_EMAIL_VERIFICATION: 'maybe',
      AUTH_MAIL_WEBHOOK_URL: 'ftp://x',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^AUTH_EMAIL_VERIFICATION: must be off or required/),
      expect.stringMatching(/^AUTH_MAIL_WEBHOOK_URL: /),
      expect.stringMatching(/^AUTH_KNOWN_SCOPES: each scope must be an RFC 6749 scope-token/),
    ]);
  });

  it('defaults e-mail verification to off with a one-day token, and account messages to the log', () => {
    expect(loadAuthConfig(valid).auth).toMatchObject({
      emailVerification: 'off',
      emailVerificationTtlSeconds: 86400,
      mailWebhookUrl: undefined,
    });
  });

  it('gives an unlock token 15 minutes by default, and stops start-up naming AUTH_UNLOCK_TOKEN_TTL_S when out of range', () => {
    expect(loadAuthConfig(valid).auth.unlockTokenTtlSeconds).toBe(900);
    expect(loadAuthConfig({ ...valid, AUTH_UNLOCK_TOKEN_TTL_S: '120' }).auth.unlockTokenTtlSeconds).toBe(120);
    expect(problemsOf({ ...valid, AUTH_UNLOCK_TOKEN_TTL_S: '5' })).toEqual([expect.stringMatching(/^AUTH_UNLOCK_TOKEN_TTL_S: /)]);
  });

  it('defaults the guessing limits: 5 free failures per address, waits from 2 s to 15 min, 50 per hour per account', () => {
    const { auth } = loadAuthConfig(valid);
    expect([auth.loginFreeFailures, auth.loginDelaySeconds, auth.loginDelayMaxSeconds]).toEqual([5, 2, 900]);
    expect([auth.loginMaxFailuresPerAccount, auth.loginFailureWindowSeconds, auth.loginKnownAddressSeconds]).toEqual([
      50,
      3600,
      24 * 86400,
    ]);
    expect([auth.passwordMaxFailuresPerToken, auth.hashConcurrency, auth.hashQueue, auth.proxySecret]).toEqual([5, 2, 32, undefined]);
  });

  it('refuses a first wait above the longest one, and a longest wait the failures are not remembered for', () => {
    expect(problemsOf({ ...valid, AUTH_LOGIN_DELAY_S: '60', AUTH_LOGIN_DELAY_MAX_S: '30' })).toEqual([
      expect.stringMatching(/^AUTH_LOGIN_DELAY_S: must not exceed AUTH_LOGIN_DELAY_MAX_S/),
    ]);
    expect(problemsOf({ ...valid, AUTH_LOGIN_DELAY_MAX_S: '7200', AUTH_LOGIN_FAILURE_MEMORY_S: '3600' })).toEqual([
      expect.stringMatching(/^AUTH_LOGIN_DELAY_MAX_S: must not exceed AUTH_LOGIN_FAILURE_MEMORY_S/),
    ]);
  });

  it('refuses a short AUTH_PROXY_SECRET without echoing it', () => {
    expect(problemsOf({ ...valid, AUTH_PROXY_SECRET: 'short' })).toEqual([
      'AUTH_PROXY_SECRET: must be at least 32 characters (openssl rand -base64 32)',
    ]);
  });
});
