import { loadBaseConfig } from '../config/base-config.js';
import { ConfigError } from '../config/config.error.js';
import { parseRedisUrl } from './redis-url.js';

const config = (raw: string) => {
  const r = parseRedisUrl(raw);
  if (!r.ok) throw new Error(`expected ${raw} to parse: ${r.problem}`);
  return r.config;
};
const problem = (raw: string) => {
  const r = parseRedisUrl(raw);
  if (r.ok) throw new Error(`expected ${raw} to be refused`);
  return r.problem;
};

describe('parseRedisUrl', () => {
  it('passes one server through as is, and memory:// as the stand-in', () => {
    expect(config('redis://127.0.0.1:6379')).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379' });
    expect(config('rediss://u:p@cache.example:6380/2')).toEqual({ kind: 'redis', url: 'rediss://u:p@cache.example:6380/2' });
    expect(config('memory://')).toEqual({ kind: 'memory' });
  });

  it('reads a Sentinel URL: sentinels (default port 26379), master name, db, credentials of both', () => {
    expect(config('redis+sentinel://s1:26380,s2,[::1]:26381/mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'mymaster',
      db: 0,
      tls: false,
    });
    expect(config('rediss+sentinel://app:p%40ss@10.0.0.1:26379/my%20master/3?sentinelUsername=mon&sentinelPassword=s3')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: '10.0.0.1', port: 26379 }],
      masterName: 'my master',
      db: 3,
      tls: true,
      username: 'app',
      password: 'p@ss',
      sentinelUsername: 'mon',
      sentinelPassword: 's3',
    });
    // `:password` is the default user's password, as in a redis:// URL.
    expect(config('redis+sentinel://:secret@s1/m')).toMatchObject({ password: 'secret' });
    expect(config('redis+sentinel://:secret@s1/m')).not.toHaveProperty('username');
  });

  it('reads a Cluster seed list (default port 6379)', () => {
    expect(config('redis+cluster://10.0.0.1:7000,10.0.0.2,node-3.example:7002/')).toEqual({
      kind: 'cluster',
      seeds: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: 'node-3.example', port: 7002 },
      ],
      tls: false,
    });
    expect(config('rediss+cluster://u:p@h:7000')).toEqual({
      kind: 'cluster',
      seeds: [{ host: 'h', port: 7000 }],
      tls: true,
      username: 'u',
      password: 'p',
    });
  });

  it('says what is wrong with a bad value', () => {
    expect(problem('http://x')).toMatch(/^must be one of redis:\/\/.*redis\+sentinel:\/\/.*redis\+cluster:\/\/.*memory:\/\//);
    expect(problem('redis+sentinel://s1:26379')).toMatch(/names no master/);
    expect(problem('redis+sentinel://s1:26379/m/x')).toMatch(/database "x": must be a number/);
    expect(problem('redis+sentinel://s1:26379/m/0/extra')).toMatch(/path longer than/);
    expect(problem('redis+sentinel://s1/m?password=x')).toMatch(
      /unknown parameter password \(accepted: sentinelUsername, sentinelPassword\)/,
    );
    expect(problem('redis+cluster://h1:7000/3')).toMatch(/a cluster has no database number/);
    expect(problem('redis+cluster://h1:7000?x=1')).toMatch(/unknown parameter x/);
    expect(problem('redis+cluster://h1:7000,,h2')).toMatch(/empty seed node address/);
    expect(problem('redis+cluster://h1:99999')).toMatch(/port outside 1-65535/);
    expect(problem('redis+cluster://h_1:7000')).toMatch(/"h_1:7000" is not host:port/);
    expect(problem('redis+sentinel://:%E0%A4%A@s1/m')).toMatch(/password is not valid percent-encoding/);
    expect(problem('redis://')).toMatch(/./);
  });

  it('stops start-up naming REDIS_URL, and never echoes the value (it may carry passwords)', () => {
    const env = {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh',
      REDIS_URL: 'redis+sentinel://s1/m?sentinelPassword=hunter2&x=1',
    };
    let problems: readonly string[] = [];
    try {
      loadBaseConfig('orders', env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([expect.stringMatching(/^REDIS_URL: has unknown parameter x/)]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('puts the parsed topology in the base configuration', () => {
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh', REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001' };
    expect(loadBaseConfig('orders', env).redis).toMatchObject({ kind: 'cluster', seeds: [{ port: 7000 }, { port: 7001 }] });
  });
});
