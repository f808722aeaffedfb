import { ConfigError } from '@authmesh/platform';
import { readTopologyOptions } from './topology-env.js';

const GOOD = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh', REDIS_URL: 'redis://127.0.0.1:6379' };

function problems(env: Record<string, string>): readonly string[] {
  try {
    readTopologyOptions(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('npm run start:topology configuration', () => {
  it('refuses to start without a real PostgreSQL and Redis, naming each variable', () => {
    expect(problems({})).toEqual([
      expect.stringMatching(/^DATABASE_URL: is required \(the topology runs no embedded database; e\.g\. postgres:\/\/.*\)$/),
      expect.stringMatching(/^REDIS_URL: is required/),
    ]);
  });

  it('refuses the in-memory Redis stand-in: it lives in one process and the topology runs seven', () => {
    expect(problems({ ...GOOD, REDIS_URL: 'memory://' })).toEqual([
      expect.stringMatching(/^REDIS_URL: must be a real Redis: memory:\/\/ lives in one process/),
    ]);
  });

  it("defaults to npm start's ports and the issue's replica counts; <APP>_PORT and <APP>_REPLICAS change one service", () => {
    const options = readTopologyOptions({ ...GOOD, GATEWAY_PORT: '8080', ORDERS_REPLICAS: '3' });
    expect(options.ports).toEqual({ gateway: 8080, auth: 3001, orders: 3002, profiles: 3003 });
    expect(options.replicas).toEqual({ auth: 2, orders: 3, profiles: 1, gateway: 2 });
    expect(problems({ ...GOOD, AUTH_REPLICAS: '0' })).toEqual([expect.stringMatching(/^AUTH_REPLICAS: /)]);
  });
});
