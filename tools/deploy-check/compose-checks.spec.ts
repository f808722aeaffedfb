import { type Compose, composeProblems, composeSchemaProblems } from './compose-checks.js';
import { requiredVariables, secretVariables } from './config-vars.js';
import { envFileVariables, readCompose } from './deploy-files.js';

type Rec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- in-memory surgery on parsed YAML

function problemsAfter(mutate: (services: Rec) => void): string[] {
  const compose = readCompose();
  mutate(compose.services as Rec);
  return composeProblems(compose, { required: requiredVariables, secrets: secretVariables(), envFileVariables });
}

describe('the compose checker fails, naming what is wrong', () => {
  it('a removed healthcheck (and what waited on it)', () => {
    expect(problemsAfter((s) => delete s.profiles.healthcheck)).toEqual([
      'compose service profiles has no healthcheck',
      'compose service orders: depends on profiles, which has no healthcheck to wait for',
      'compose service gateway: depends on profiles, which has no healthcheck to wait for',
    ]);
  });

  it('a dependency only started, not healthy, and one not waited for at all', () => {
    expect(
      problemsAfter((s) => {
        s.orders.depends_on.auth.condition = 'service_started';
        delete s.orders.depends_on.profiles;
      }),
    ).toEqual([
      'compose service orders: depends on auth with service_started, not service_healthy',
      'compose service orders: calls profiles but does not wait for it (depends_on profiles: service_healthy)',
    ]);
  });

  // OIDC clients refuse a discovery document whose issuer is not the URL they discovered: the
  // issuer is auth's published URL (the gateway's GATEWAY_AUTH_PUBLIC_URL), the keys and the token
  // endpoint are fetched by service name.
  it("an issuer that is not auth's public URL, the keys and the token endpoint left on it", () => {
    expect(
      problemsAfter((s) => {
        s.auth.environment.AUTH_ISSUER = 'http://auth:3000';
        delete s.profiles.environment.AUTH_JWKS_URI;
        s.orders.environment.AUTH_TOKEN_URL = 'http://127.0.0.1:3001/oauth/token';
      }),
    ).toEqual([
      "compose service auth: AUTH_ISSUER is http://auth:3000, not auth's public URL http://127.0.0.1:3001 (GATEWAY_AUTH_PUBLIC_URL): OIDC clients refuse a discovery document whose issuer is not the URL they discovered",
      "compose service profiles: AUTH_JWKS_URI is unset, so it defaults to ${AUTH_ISSUER}/.well-known/jwks.json, the public host; name auth's internal host",
      "compose service orders: AUTH_TOKEN_URL http://127.0.0.1:3001/oauth/token is not auth's internal host",
    ]);
  });

  it('a published port on a service other than the gateway', () => {
    expect(problemsAfter((s) => (s.redis.ports = ['127.0.0.1:6379:6379']))).toEqual([
      'compose service redis publishes ports; only the gateway and auth may',
    ]);
  });

  it('a secret written into the file, a password in a URL, an env file outside .env.compose/', () => {
    expect(
      problemsAfter((s) => {
        s.auth.environment.AUTH_KEK = 'x';
        s.profiles.environment.DATABASE_URL = 'postgres://postgres:pw@postgres/authmesh';
        s.gateway.env_file = '.env';
      }),
    ).toEqual([
      'compose service auth: the secret AUTH_KEK is written in docker-compose.yml; it belongs in its env file',
      'compose service profiles: the secret DATABASE_URL is written in docker-compose.yml; it belongs in its env file',
      'compose service profiles: DATABASE_URL carries a password in its URL',
      'compose service gateway: env_file .env is outside .env.compose/ (git-ignored, written by npm run compose:init)',
      'compose service gateway: gateway needs DATABASE_URL, which neither its environment nor its env file sets',
      'compose service gateway: gateway needs GATEWAY_CLIENT_SECRET, which neither its environment nor its env file sets',
      'compose service gateway: gateway needs REDIS_URL, which neither its environment nor its env file sets',
    ]);
  });

  it('Redis without AOF', () => {
    expect(problemsAfter((s) => (s.redis.command = ['redis-server']))).toEqual(['compose service redis: AOF is off (--appendonly yes)']);
  });

  it('the schema refuses a misspelt key and a malformed duration', () => {
    const compose = readCompose() as Compose & { services: Rec };
    compose.services.auth.helthcheck = compose.services.auth.healthcheck;
    compose.services.redis.healthcheck.interval = '5 seconds';
    const problems = composeSchemaProblems(compose);
    expect(problems).toEqual(
      expect.arrayContaining(['docker-compose.yml/services/auth: must NOT have additional properties (helthcheck)']),
    );
    expect(problems).toEqual(
      expect.arrayContaining(['docker-compose.yml/services/redis/healthcheck/interval: must match format "duration"']),
    );
  });
});
