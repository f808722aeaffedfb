import {
  type BudgetOutcome,
  DependencyUnavailableError,
  type RedisConnection,
  createRateLimiter,
  rateLimitKeyPrefix,
  takeAddressBudget,
} from '@authmesh/platform';
import { Logger } from '@nestjs/common';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { GatewaySettings } from '../config/gateway.config.js';
import { RateLimitedError } from '../errors/gateway-errors.js';

/** A budgeted endpoint: its method and path (as `limitedPathOf` gives it). */
export interface LimitedEndpoint {
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

/**
 * The login endpoints (GATEWAY_LOGIN_RATE_PER_MIN), each with its own budget per client address:
 * starting a browser login (each one stores a pending login), finishing one (each one redeems a
 * code at auth), and the token endpoint (client secrets, codes, refresh tokens).
 */
export const LOGIN_ENDPOINTS: readonly LimitedEndpoint[] = [
  { method: 'GET', path: '/session/login' },
  { method: 'GET', path: '/session/callback' },
  { method: 'POST', path: '/oauth/token' },
];

/**
 * The other endpoints where auth checks a secret (GATEWAY_SECRET_RATE_PER_MIN each):
 * introspection and revocation (RFC 7662, RFC 7009) authenticate a confidential client by its
 * hashed secret, and `/auth/unlock` redeems a secret token: without a budget here, any one
 * address could keep auth's hashing busy, or guess tokens at speed, through the gateway. The
 * endpoints that check a password are not proxied at all (`proxy/routes.ts`).
 */
export const SECRET_ENDPOINTS: readonly LimitedEndpoint[] = [
  { method: 'POST', path: '/auth/unlock' },
  { method: 'POST', path: '/oauth/introspect' },
  { method: 'POST', path: '/oauth/revoke' },
];

const keyOf = (method: string, path: string): string => `${method === 'HEAD' ? 'GET' : method} ${path}`;

// What @fastify/http-proxy resolves a destination against (any origin will do: only the path is read).
const RESOLUTION_BASE = 'http://gateway.invalid';

/**
 * The path a request URL names, as the upstream will receive it and its router will see it.
 * First exactly what @fastify/http-proxy does to build the upstream URL (`new URL(dest, base)`,
 * WHATWG URL): dot segments resolved (`/auth/./login`, `/auth/%2e/login`: the URL Standard's
 * "single-dot segment" includes `%2e`), `\` read as `/`, tabs and newlines dropped, the query and
 * any fragment cut off. Using that same parser (rather than re-implementing its rules) means the
 * limiter's view and the upstream path cannot differ. Then what auth's router does on top:
 * percent-escapes decoded, and trailing and repeated slashes dropped, so `/auth/%6Cogin`,
 * `/auth/login/` or `/auth//login` can't slip past a budget keyed on `/auth/login` either
 * (counting a path the router would 404 costs nothing).
 */
export function limitedPathOf(url: string): string {
  let raw: string;
  try {
    raw = new URL(url, RESOLUTION_BASE).pathname;
  } catch {
    raw = url.split('?', 1)[0]!; // not resolvable: the proxy refuses it too
  }
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    path = raw;
  }
  path = path.replace(/\/\/+/g, '/');
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * Per-address budgets on the endpoints that take credentials (LOGIN_ENDPOINTS, SECRET_ENDPOINTS),
 * in Redis so they hold across gateway replicas, with an in-memory insurance limiter while Redis
 * is down: platform's `createRateLimiter`, the same factory auth's budgets use.
 */
export class LoginRateLimiter {
  private readonly logger = new Logger('LoginRateLimiter');
  private readonly limiters: ReadonlyMap<string, RateLimiterAbstract>;

  constructor(redis: RedisConnection, settings: GatewaySettings) {
    const make = (path: string, points: number): RateLimiterAbstract =>
      createRateLimiter(redis, { keyPrefix: rateLimitKeyPrefix(settings.redisKeyPrefix, path), points, durationSeconds: 60 });
    // The Redis key names the path alone (as before the code flow: a POST budget keeps its counters).
    this.limiters = new Map([
      ...LOGIN_ENDPOINTS.map((e) => [keyOf(e.method, e.path), make(e.path, settings.loginRatePerMinute)] as const),
      ...SECRET_ENDPOINTS.map((e) => [keyOf(e.method, e.path), make(e.path, settings.secretRatePerMinute)] as const),
    ]);
  }

  /** True when `method path` (the path without the query) has a budget. */
  applies(method: string, path: string): boolean {
    return this.limiters.has(keyOf(method, path));
  }

  /**
   * Takes one request from `address`'s budget on `method path` (an IPv6 client's budget is its /64's:
   * `clientKeyOf`); throws RateLimitedError (429) when spent.
   */
  async take(method: string, path: string, address: string): Promise<void> {
    const limiter = this.limiters.get(keyOf(method, path));
    if (!limiter) return;
    let outcome: BudgetOutcome;
    try {
      outcome = await takeAddressBudget(limiter, address);
    } catch (e) {
      // Only when even the insurance limiter fails, which it does not for memory.
      this.logger.error(`rate limiting failed: ${String(e)}`);
      throw new DependencyUnavailableError('Rate limiting is unavailable', { detail: String(e), cause: e });
    }
    if (!outcome.allowed) throw new RateLimitedError(outcome.retryAfterSeconds);
  }
}
