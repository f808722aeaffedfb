import { randomBytes } from 'node:crypto';
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

  it('refuses a publish delay that is not longer than the JWKS max-age (verifiers would meet the key before holding it)', () => {
    expect(problemsOf({ ...valid, AUTH_JWKS_MAX_AGE_S: '300', AUTH_KEY_PUBLISH_DELAY_S: '300' })).toEqual([
      expect.stringMatching(/^AUTH_KEY_PUBLISH_DELAY_S: must be longer than AUTH_JWKS_MAX_AGE_S/),
    ]);
  });

  it('refuses seeded client ids a user could share (UUID-shaped) or that name the first-party client', () => {
    const clients = [
      { clientId: '0b6f9a52-3c4e-4a8e-9d7b-2f1e5c6d7a8b', secret: 'a-long-enough-secret', scopes: [], audiences: ['orders'] },
      { clientId: 'authmesh', secret: 'a-long-enough-secret', scopes: [], audiences: ['orders'] },
    ];
    const problems = problemsOf({ ...valid, AUTH_SEED_CLIENTS: JSON.stringify(clients) });
    expect(problems).toHaveLength(2);
    expect(problems.every((p) => p.startsWith('AUTH_SEED_CLIENTS: '))).toBe(true);
  });
});
