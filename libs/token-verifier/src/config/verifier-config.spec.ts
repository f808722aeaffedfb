import { ConfigError, EnvReader } from '@authmesh/platform';
import { readVerifierConfig, verifierConfigFrom } from './verifier-config.js';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  const config = readVerifierConfig(reader, 'orders');
  reader.finish('orders');
  return config;
}

describe('readVerifierConfig', () => {
  it('applies the documented defaults', () => {
    expect(read({ AUTH_ISSUER: 'http://127.0.0.1:3001' })).toEqual({
      issuer: 'http://127.0.0.1:3001',
      audience: 'orders',
      jwksUri: 'http://127.0.0.1:3001/.well-known/jwks.json',
      clockToleranceSeconds: 30,
      jwksCooldownSeconds: 30,
      jwksMaxStalenessSeconds: 86400,
      jwksFetchTimeoutMs: 2000,
      maxTokenBytes: 8192,
      dpopOrigins: [],
      dpopIatWindowSeconds: 60,
      dpopReplayCacheMaxEntries: 100_000,
      dpopReplayOutagePolicy: 'reject',
    });
  });

  it('strips a trailing slash from AUTH_ISSUER, as auth does', () => {
    expect(read({ AUTH_ISSUER: 'https://auth.example/' })).toMatchObject({
      issuer: 'https://auth.example',
      jwksUri: 'https://auth.example/.well-known/jwks.json',
    });
  });

  it('reads every variable', () => {
    expect(
      read({
        AUTH_ISSUER: 'https://auth.example',
        AUTH_AUDIENCE: 'orders-api',
        AUTH_JWKS_URI: 'http://auth.internal:3001/.well-known/jwks.json',
        JWT_CLOCK_TOLERANCE_S: '5',
        JWKS_COOLDOWN_S: '10',
        JWKS_MAX_STALENESS_S: '3600',
        JWKS_FETCH_TIMEOUT_MS: '500',
        JWT_MAX_TOKEN_BYTES: '4096',
        JWT_DPOP_ORIGINS: 'https://api.example, http://orders:3002',
        JWT_DPOP_IAT_WINDOW_S: '30',
        JWT_DPOP_REPLAY_CACHE_MAX: '5000',
        JWT_DPOP_REPLAY_OUTAGE_POLICY: 'local',
      }),
    ).toEqual({
      issuer: 'https://auth.example',
      audience: 'orders-api',
      jwksUri: 'http://auth.internal:3001/.well-known/jwks.json',
      clockToleranceSeconds: 5,
      jwksCooldownSeconds: 10,
      jwksMaxStalenessSeconds: 3600,
      jwksFetchTimeoutMs: 500,
      maxTokenBytes: 4096,
      dpopOrigins: ['https://api.example', 'http://orders:3002'],
      dpopIatWindowSeconds: 30,
      dpopReplayCacheMaxEntries: 5000,
      dpopReplayOutagePolicy: 'local',
    });
  });

  it('refuses a JWT_DPOP_ORIGINS entry that is not a bare origin (a path would never match a proof)', () => {
    expect(() => read({ AUTH_ISSUER: 'https://auth.example', JWT_DPOP_ORIGINS: 'https://api.example/orders' })).toThrow(/JWT_DPOP_ORIGINS/);
  });

  it('reports every bad variable at once, by name', () => {
    let error: ConfigError | undefined;
    try {
      read({ AUTH_JWKS_URI: 'ftp://x', JWT_CLOCK_TOLERANCE_S: 'soon', AUTH_AUDIENCE: 'two words' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = error!.problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(expect.arrayContaining(['AUTH_ISSUER', 'AUTH_JWKS_URI', 'JWT_CLOCK_TOLERANCE_S', 'AUTH_AUDIENCE']));
  });
});

describe('verifierConfigFrom', () => {
  it('takes the audience from its argument, over an AUTH_AUDIENCE in env (no token minted for another service passes)', () => {
    const config = verifierConfigFrom({ AUTH_ISSUER: 'http://127.0.0.1:3001', AUTH_AUDIENCE: 'orders' }, 'billing');
    expect(config.audience).toBe('billing');
  });
});
