import { appDatabaseUrl, loadBaseConfig } from './base-config.js';
import { ConfigError } from './config.error.js';

const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh', REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadBaseConfig('orders', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('base configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadBaseConfig('orders', valid);
    expect(c).toMatchObject({
      app: 'orders',
      port: 3002,
      host: '127.0.0.1',
      logLevel: 'info',
      redis: { kind: 'redis', url: valid.REDIS_URL },
    });
    expect(c.database).toMatchObject({ url: 'postgres://postgres@127.0.0.1:5432/authmesh_orders', createIfMissing: true, poolSize: 10 });
  });

  it('uses <APP>_DATABASE_URL as is, without creating anything', () => {
    const c = loadBaseConfig('orders', { ...valid, ORDERS_DATABASE_URL: 'postgres://u@db:5432/orders_db' });
    expect(c.database).toMatchObject({ url: 'postgres://u@db:5432/orders_db', createIfMissing: false });
  });

  it('rejects PORT=abc naming the variable', () => {
    expect(problemsOf({ ...valid, PORT: 'abc' })).toEqual([expect.stringMatching(/^PORT: must be an integer port number/)]);
  });

  it('rejects an unparsable DATABASE_URL naming the variable', () => {
    expect(problemsOf({ ...valid, DATABASE_URL: 'not a url' })).toEqual([
      expect.stringMatching(/^DATABASE_URL: must be a URL starting with postgres:\/\//),
    ]);
  });

  it('requires a database URL and REDIS_URL', () => {
    const problems = problemsOf({});
    expect(problems).toContainEqual(expect.stringMatching(/^DATABASE_URL: is required \(or ORDERS_DATABASE_URL\)/));
    expect(problems).toContainEqual(expect.stringMatching(/^REDIS_URL: is required/));
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ ...valid, PORT: '70000', LOG_LEVEL: 'loud', DB_POOL_SIZE: '0', REDIS_URL: 'http://x' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(['REDIS_URL', 'PORT', 'LOG_LEVEL', 'DB_POOL_SIZE']);
  });

  it('never echoes a URL that carries a password', () => {
    const problems = problemsOf({ ...valid, DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('accepts memory:// for single-process mode', () => {
    expect(loadBaseConfig('gateway', { ...valid, REDIS_URL: 'memory://' }).redis).toEqual({ kind: 'memory' });
  });

  it('names a per-app database after the shared one', () => {
    expect(appDatabaseUrl('postgres://h:5432/', 'auth')).toBe('postgres://h:5432/authmesh_auth');
    expect(appDatabaseUrl('postgres://h:5432/shop', 'profiles')).toBe('postgres://h:5432/shop_profiles');
  });

  describe('TRUST_PROXY', () => {
    const trust = (value?: string) => loadBaseConfig('auth', value === undefined ? valid : { ...valid, TRUST_PROXY: value }).trustProxy;

    it('trusts no proxy by default (request.ip is the peer, which a client cannot spoof)', () => {
      expect(trust()).toBe(false);
    });

    it('accepts true and false', () => {
      expect(trust('true')).toBe(true);
      expect(trust('false')).toBe(false);
    });

    it('accepts a hop count', () => {
      expect(trust('2')).toBe(2);
    });

    it('accepts a comma list of addresses, CIDRs and proxy-addr names', () => {
      expect(trust('127.0.0.1, 10.0.0.0/8,::1,fd00::/8,loopback')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback']);
    });

    it.each(['gateway.internal', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', 'yes', '1.2.3'])('rejects %s naming TRUST_PROXY', (value) => {
      expect(problemsOf({ ...valid, TRUST_PROXY: value })).toEqual([
        expect.stringMatching(/^TRUST_PROXY: must be true, false, a hop count/),
      ]);
    });
  });
});
