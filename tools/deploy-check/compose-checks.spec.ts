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
