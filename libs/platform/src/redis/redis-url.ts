/** One Redis server (a sentinel or a cluster seed node). */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** Credentials for the data nodes (Redis 6 ACL user, or `default` with only a password). */
export interface RedisCredentials {
  readonly username?: string;
  readonly password?: string;
}

/**
 * Where the suite's Redis is, parsed from REDIS_URL (docs/operations.md, "Redis topologies"):
 * - `memory://` — the in-process stand-in (`npm start` only);
 * - `redis://` / `rediss://` — one server, passed to ioredis as is;
 * - `redis+sentinel://` — the sentinels to ask for the master named in the path;
 * - `redis+cluster://` — seed nodes of a Redis Cluster (the rest is discovered).
 * `rediss+sentinel` / `rediss+cluster` set `tls` (TLS to every node, sentinels included).
 */
export type RedisConfig =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string }
  | (RedisCredentials & {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisNodeAddress[];
      readonly masterName: string;
      readonly db: number;
      readonly tls: boolean;
      /** `?sentinelUsername=` / `?sentinelPassword=`: the sentinels' own credentials (`requirepass` on the sentinels). */
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
    })
  | (RedisCredentials & {
      readonly kind: 'cluster';
      readonly seeds: readonly RedisNodeAddress[];
      readonly tls: boolean;
    });

export type RedisUrlParse = { readonly ok: true; readonly config: RedisConfig } | { readonly ok: false; readonly problem: string };

/** The URL forms REDIS_URL accepts, for error messages and the docs. */
export const REDIS_URL_FORMS =
  'redis://host:6379, rediss://host:6380, redis+sentinel://host:26379,host2:26379/<masterName>[/<db>], redis+cluster://host:6379,host2:6379, or memory://';

const DEFAULT_PORT = { sentinel: 26379, cluster: 6379 } as const;
const SENTINEL_PARAMS = new Set(['sentinelUsername', 'sentinelPassword']);

/**
 * A password holding `@ / ? #` unencoded splits the URL in the wrong place, so what lands in the
 * address list, the path or the query may be part of it: problems name such parts by position and
 * never quote them.
 */
const ENCODE_HINT = 'percent-encode any @ / ? # in the user name and password';

/** `label`: which address, by position ("sentinel address 2 of 3"); the text itself is never quoted. */
function parseAddress(text: string, defaultPort: number, label: string): RedisNodeAddress | string {
  // `[v6]:port`, `[v6]`, `host:port` or `host`.
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) return `${label} is not host:port (${ENCODE_HINT})`;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port < 1 || port > 65535) return `${label} has a port outside 1-65535`;
  return { host: m[1] ?? m[2]!, port };
}

function decode(part: string, what: string): string | { problem: string } {
  try {
    return decodeURIComponent(part);
  } catch {
    return { problem: `the ${what} is not valid percent-encoding` };
  }
}

/**
 * Parses REDIS_URL. Never echoes the value or any part of it (it may carry passwords, and a
 * password with an unencoded `@ / ? #` ends up in the host list, the path or the query); the
 * problem names the part by position, says what is wrong and which forms are accepted.
 */
export function parseRedisUrl(raw: string): RedisUrlParse {
  const fail = (problem: string): RedisUrlParse => ({ ok: false, problem });
  const scheme = /^([a-z+]+):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'memory') return { ok: true, config: { kind: 'memory' } };
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      const u = new URL(raw);
      if (!u.hostname) return fail('has no host');
    } catch {
      return fail('is not a valid URL');
    }
    return { ok: true, config: { kind: 'redis', url: raw } };
  }
  const topology = /^(rediss?)\+(sentinel|cluster)$/.exec(scheme ?? '');
  if (!topology) return fail(`must be one of ${REDIS_URL_FORMS}`);
  const tls = topology[1] === 'rediss';
  const kind = topology[2] as 'sentinel' | 'cluster';

  // WHATWG URL does not take a comma-separated host list, so the authority is split by hand.
  const rest = raw.slice(scheme!.length + 3);
  const m = /^(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(rest);
  if (!m)
    return fail(
      `is not of the form ${scheme}://[user:password@]host:port[,host:port…]${kind === 'sentinel' ? '/<masterName>[/<db>]' : ''}`,
    );
  const [, userinfo, hostList, path = '', query = ''] = m;

  const credentials: { username?: string; password?: string } = {};
  if (userinfo !== undefined && userinfo !== '') {
    // As ioredis reads redis:// URLs: `user:password`, `:password` (the default user), or `user`.
    const colon = userinfo.indexOf(':');
    const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), 'user name');
    const pass = colon === -1 ? '' : decode(userinfo.slice(colon + 1), 'password');
    if (typeof user !== 'string') return fail(user.problem);
    if (typeof pass !== 'string') return fail(pass.problem);
    if (user) credentials.username = user;
    if (pass) credentials.password = pass;
  }

  const addresses: RedisNodeAddress[] = [];
  const parts = hostList!.split(',');
  const noun = kind === 'sentinel' ? 'sentinel' : 'seed node';
  for (const [i, part] of parts.entries()) {
    const label = `${noun} address ${i + 1} of ${parts.length}`;
    if (part.trim() === '') return fail(`lists an empty ${label}`);
    const address = parseAddress(part.trim(), DEFAULT_PORT[kind], label);
    if (typeof address === 'string') return fail(address);
    addresses.push(address);
  }

  const params = new URLSearchParams(query);
  if (kind === 'cluster') {
    if (path !== '' && path !== '/')
      return fail('a cluster has no database number or master name: nothing may follow the seed list but "/"');
    if ([...params.keys()].length) return fail(`has a query string, but a cluster URL takes no parameters (${ENCODE_HINT})`);
    return { ok: true, config: { kind, seeds: addresses, tls, ...credentials } };
  }

  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 0)
    return fail('names no master: add /<masterName> after the sentinel addresses (the name in `sentinel monitor`)');
  if (segments.length > 2) return fail('has a path longer than /<masterName>/<db>');
  const masterName = decode(segments[0]!, 'master name');
  if (typeof masterName !== 'string') return fail(masterName.problem);
  let db = 0;
  if (segments[1] !== undefined) {
    if (!/^\d{1,2}$/.test(segments[1])) return fail('the database segment (after /<masterName>/) is not a number 0-99');
    db = Number(segments[1]);
  }
  const keys = [...params.keys()];
  for (const [i, key] of keys.entries()) {
    if (!SENTINEL_PARAMS.has(key))
      return fail(
        `has an unknown parameter (parameter ${i + 1} of ${keys.length}; accepted: ${[...SENTINEL_PARAMS].join(', ')}; ${ENCODE_HINT})`,
      );
  }
  const sentinelUsername = params.get('sentinelUsername') ?? undefined;
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    ok: true,
    config: {
      kind,
      sentinels: addresses,
      masterName,
      db,
      tls,
      ...credentials,
      ...(sentinelUsername ? { sentinelUsername } : {}),
      ...(sentinelPassword ? { sentinelPassword } : {}),
    },
  };
}
