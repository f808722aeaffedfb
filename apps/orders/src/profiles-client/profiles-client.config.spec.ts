import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, EnvReader } from '@authmesh/platform';
import { type ProfilesClientConfig, readProfilesClientConfig } from './profiles-client.config.js';

function read(env: Record<string, string>, issuer = 'http://auth.test'): ProfilesClientConfig {
  const reader = new EnvReader(env);
  const config = readProfilesClientConfig(reader);
  return reader.finish('orders', { config }).config(issuer);
}

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    read(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const privateJwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'orders-1' } as {
  d: string;
  kid: string;
};

describe('orders: profiles client configuration', () => {
  const required = { ORDERS_CLIENT_SECRET: 'hunter2-hunter2', PROFILES_URL: 'http://127.0.0.1:3003' };

  it('applies the documented defaults (token URL from AUTH_ISSUER, client orders, 2000 ms)', () => {
    expect(read(required)).toEqual({
      tokenUrl: 'http://auth.test/oauth/token',
      issuer: 'http://auth.test',
      clientId: 'orders',
      clientSecret: 'hunter2-hunter2',
      profilesUrl: 'http://127.0.0.1:3003',
      timeoutMs: 2000,
    });
  });

  it('requires PROFILES_URL, and exactly one of ORDERS_CLIENT_SECRET and ORDERS_CLIENT_KEY', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0])).toEqual(['PROFILES_URL']);
    expect(problemsOf({ PROFILES_URL: required.PROFILES_URL })).toEqual([expect.stringMatching(/^ORDERS_CLIENT_SECRET: exactly one of/)]);
    expect(problemsOf({ ...required, ORDERS_CLIENT_KEY: JSON.stringify(privateJwk) })).toEqual([
      expect.stringMatching(/^ORDERS_CLIENT_SECRET: exactly one of/),
    ]);
  });

  it('takes a private JWK as ORDERS_CLIENT_KEY instead of a secret (private_key_jwt)', () => {
    const config = read({ PROFILES_URL: required.PROFILES_URL, ORDERS_CLIENT_KEY: JSON.stringify(privateJwk) });
    expect(config.clientSecret).toBeUndefined();
    expect(config.clientKey).toMatchObject({ kid: 'orders-1', key: { kty: 'EC', d: privateJwk.d } });
  });

  it('refuses an ORDERS_CLIENT_KEY that is no private JWK with a kid, by name, never echoing it', () => {
    const { d: _d, ...publicJwk } = privateJwk;
    const { kid: _kid, ...noKid } = privateJwk;
    for (const bad of ['not json', JSON.stringify(publicJwk), JSON.stringify(noKid), JSON.stringify({ ...privateJwk, alg: 'RS256' })]) {
      const problems = problemsOf({ PROFILES_URL: required.PROFILES_URL, ORDERS_CLIENT_KEY: bad });
      expect(problems).toEqual([expect.stringMatching(/^ORDERS_CLIENT_KEY: /)]);
      expect(problems.join('\n')).not.toContain(privateJwk.d);
    }
  });

  it('rejects a bad PROFILES_URL and PROFILES_TIMEOUT_MS by name, never echoing the secret', () => {
    const problems = problemsOf({ ...required, PROFILES_URL: 'ftp://x', PROFILES_TIMEOUT_MS: '10', AUTH_TOKEN_URL: 'nope' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['AUTH_TOKEN_URL', 'PROFILES_URL', 'PROFILES_TIMEOUT_MS']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
