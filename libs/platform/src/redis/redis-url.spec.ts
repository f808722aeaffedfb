import fc from 'fast-check';
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
    expect(problem('redis+sentinel://s1:26379/m/x')).toMatch(/the database segment \(after \/<masterName>\/\) is not a number 0-99/);
    expect(problem('redis+sentinel://s1:26379/m/0/extra')).toMatch(/path longer than/);
    expect(problem('redis+sentinel://s1/m?password=x')).toMatch(
      /unknown parameter \(parameter 1 of 1; accepted: sentinelUsername, sentinelPassword;/,
    );
    expect(problem('redis+cluster://h1:7000/3')).toMatch(/a cluster has no database number/);
    expect(problem('redis+cluster://h1:7000?x=1')).toMatch(/a cluster URL takes no parameters/);
    expect(problem('redis+cluster://h1:7000,,h2')).toMatch(/empty seed node address 2 of 3/);
    expect(problem('redis+cluster://h1:99999')).toMatch(/seed node address 1 of 1 has a port outside 1-65535/);
    expect(problem('redis+cluster://h1:7000,h_1:7000')).toMatch(/^seed node address 2 of 2 is not host:port/);
    expect(problem('redis+sentinel://s1,s2,s_3/m')).toMatch(/^sentinel address 3 of 3 is not host:port/);
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
    expect(problems).toEqual([expect.stringMatching(/^REDIS_URL: has an unknown parameter \(parameter 2 of 2;/)]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  describe('a password with an unencoded @ / ? # : splits the URL in the wrong place, and no part of it is echoed', () => {
    /** Every substring of `secret` of 3 or more characters that `text` contains. */
    const leaked = (text: string, secret: string): string[] => {
      const found: string[] = [];
      for (let i = 0; i + 3 <= secret.length; i++) if (text.includes(secret.slice(i, i + 3))) found.push(secret.slice(i, i + 3));
      return found;
    };
    const urls = (password: string): string[] => [
      `redis+sentinel://:${password}@h1:26379,h2:26379,h3:26379/m`,
      `redis+sentinel://user:${password}@h1:26379/m/0`,
      `redis+sentinel://h1:26379/m?sentinelPassword=${password}`,
      `rediss+sentinel://:${password}@h1/m`,
      `redis+cluster://u:${password}@h1:7000`,
      `redis+cluster://:${password}@h1:7000,h2:7000`,
    ];
    /** What start-up prints: the parse problem through the config loader (ConfigError's message and problems). */
    const startupError = (url: string): string => {
      try {
        loadBaseConfig('orders', { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh', REDIS_URL: url });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return `${e.message}\n${e.problems.join('\n')}`;
      }
      return '';
    };
    const check = (password: string): number => {
      let refused = 0;
      for (const url of urls(password)) {
        const r = parseRedisUrl(url);
        if (r.ok) continue;
        refused++;
        expect({ url, leaked: leaked(r.problem, password) }).toEqual({ url, leaked: [] });
        const printed = startupError(url);
        expect(printed).toMatch(/REDIS_URL/);
        expect({ url, leaked: leaked(printed, password) }).toEqual({ url, leaked: [] });
      }
      return refused;
    };

    it.each([
      ['s3cr@tpw'], // → the address list was "tpw@h1:26379"
      ['s3cr/tpw'], // → the address list was ":s3cr", the path "/tpw@h1…"
      ['pa?ss'], // → the address list was "u:pa", the query "ss@h1:7000"
      ['9?Kq7Zm@h'], // → "u:9" is a valid address: the rest lands in the query's parameter name
      ['Wx#7Qk9v'], // → a fragment
      ['Jk:Vb@Np/Tq?Zw#Hy'],
    ])('refuses %s without quoting it', (password) => {
      expect(check(password)).toBeGreaterThan(0);
    });

    it('holds for generated passwords too', () => {
      // Letters the messages never contain in a row, and the characters that split a URL.
      const alphabet = fc.constantFrom(...'ABCFGHJKMNPQVWXYZ@/?#:'.split(''));
      fc.assert(
        fc.property(fc.string({ unit: alphabet, minLength: 3, maxLength: 24 }), (password) => {
          check(password);
        }),
        { numRuns: 300, seed: 10 },
      );
    });
  });

  it('puts the parsed topology in the base configuration', () => {
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/authmesh', REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001' };
    expect(loadBaseConfig('orders', env).redis).toMatchObject({ kind: 'cluster', seeds: [{ port: 7000 }, { port: 7001 }] });
  });
});
