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

describe('orders: profiles client configuration', () => {
  const required = { ORDERS_CLIENT_SECRET: 'hunter2-hunter2', PROFILES_URL: 'http://127.0.0.1:3003' };

  it('applies the documented defaults (token URL from AUTH_ISSUER, client orders, 2000 ms)', () => {
    expect(read(required)).toEqual({
      tokenUrl: 'http://auth.test/oauth/token',
      clientId: 'orders',
      clientSecret: 'hunter2-hunter2',
      profilesUrl: 'http://127.0.0.1:3003',
      timeoutMs: 2000,
    });
  });

  it('requires ORDERS_CLIENT_SECRET and PROFILES_URL, naming both at once', () => {
    expect(problemsOf({}).map((p) => p.split(':')[0])).toEqual(['ORDERS_CLIENT_SECRET', 'PROFILES_URL']);
  });

  it('rejects a bad PROFILES_URL and PROFILES_TIMEOUT_MS by name, never echoing the secret', () => {
    const problems = problemsOf({ ...required, PROFILES_URL: 'ftp://x', PROFILES_TIMEOUT_MS: '10', AUTH_TOKEN_URL: 'nope' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['AUTH_TOKEN_URL', 'PROFILES_URL', 'PROFILES_TIMEOUT_MS']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});
