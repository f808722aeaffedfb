import { Injectable } from '@nestjs/common';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import {
  DependencyUnavailableError,
  InjectConfig,
  RedisConnection,
  TooManyRequestsError,
  clientKeyOf,
  createRateLimiter,
} from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/**
 * Too many failed client authentications for this client or from this address: 429 with
 * Retry-After. The code login's budgets answer with; `/oauth/*` renders it in RFC 6749 §5.2 form
 * as `temporarily_unavailable` (what every 429 there is).
 */
export class TooManyClientAuthAttempts extends TooManyRequestsError {
  static override readonly code = 'too_many_attempts';
  override readonly code = TooManyClientAuthAttempts.code;
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'Too many failed client authentication attempts; try again later');
  }
}

/** How long an address a client authenticated from stays known to it (then it is held by the client-wide cap again). */
export const CLIENT_KNOWN_ADDRESS_SECONDS = 86_400;
/** A known address is re-marked at most this often per instance: a success must not cost a Redis write each. */
const KNOWN_REFRESH_MS = 600_000;
/** Pairs this instance remembers having marked; past it the memory starts over (it only saves writes). */
const KNOWN_MEMORY_MAX = 10_000;

/**
 * Failure budgets of client authentication by secret at `/oauth/*` (a wrong secret, an unknown
 * client, a malformed Basic header — every `invalid_client`), in Redis across auth replicas (memory
 * in single-process mode, and the insurance limiter during a Redis outage), as login's are:
 *
 * - per address (the client's address, X-Forwarded-For when the gateway proves it), over all
 *   clients: AUTH_CLIENT_MAX_FAILURES_PER_ADDRESS per window;
 * - per client: AUTH_CLIENT_MAX_FAILURES per window (many addresses guessing one client).
 *
 * A spent budget refuses the attempt (429) before the secret is checked, the right one too, so a
 * guess past the budget tells nothing. Except for a client authenticating from a connection peer it
 * authenticated from in the last day (`CLIENT_KNOWN_ADDRESS_SECONDS`; remembered here and in
 * Redis): neither budget holds it. Otherwise anyone could stop `orders` from getting tokens by
 * sending it wrong secrets, or — since the gateway's own token exchanges carry the user's proven
 * address — stop the gateway exchanging for users at an address a guesser shares (a NAT). The peer
 * is the TCP peer, not the forwarded address: for the gateway's exchanges it is the gateway itself.
 * A guesser sending through the gateway shares that peer, so it is held by its own address's budget
 * only, and only while guessing a client that authenticates from the gateway (the gateway's own:
 * 256 random bits). Assertions (private_key_jwt) and requests that present no credential (a public
 * client's refresh or revocation) are never budgeted: nothing there can be guessed.
 *
 * Unlike login's, a budget is only read before the check and spent after a failure, never taken
 * first and given back: a service legitimately sends hundreds of token requests at once (a fleet
 * restarting), and those in flight would hold the budget and get refused. The price is that guesses
 * sent all at once can overshoot a budget by the number in flight, a bound the per-address request
 * budget (AUTH_RATE_LIMIT_PER_MIN) keeps small; and with every secret of 128 bits or more, the
 * budgets stop a guesser's traffic, not a search that could succeed.
 */
@Injectable()
export class ClientAuthLimiter {
  private readonly perAddress: RateLimiterAbstract;
  private readonly perClient: RateLimiterAbstract;
  private readonly known: RateLimiterAbstract;
  private readonly maxPerAddress: number;
  private readonly maxPerClient: number;
  private readonly markedAt = new Map<string, number>();

  constructor(redis: RedisConnection, @InjectConfig() config: AuthConfig) {
    const s = config.auth;
    this.maxPerAddress = s.clientMaxFailuresPerAddress;
    this.maxPerClient = s.clientMaxFailures;
    const make = (keyPrefix: string, points: number, durationSeconds: number): RateLimiterAbstract =>
      createRateLimiter(redis, { keyPrefix, points, durationSeconds });
    this.perAddress = make('auth:client-fail:addr', s.clientMaxFailuresPerAddress, s.clientFailureWindowSeconds);
    this.perClient = make('auth:client-fail:client', s.clientMaxFailures, s.clientFailureWindowSeconds);
    this.known = make('auth:client-known', 1, CLIENT_KNOWN_ADDRESS_SECONDS);
  }

  /**
   * Throws TooManyClientAuthAttempts when a budget this attempt would spend is spent, before any
   * secret is checked; never for a client at a connection peer it is known at.
   */
  async check(clientId: string | undefined, address: string, peer: string): Promise<void> {
    const client = clientKeyOf(address);
    const pair = clientId === undefined ? undefined : pairKey(clientId, clientKeyOf(peer));
    if (pair !== undefined && this.knownHere(pair)) return;
    await this.guard(async () => {
      const [byAddress, byClient, known] = await Promise.all([
        this.perAddress.get(client),
        clientId === undefined ? null : this.perClient.get(clientId),
        pair === undefined ? null : this.known.get(pair),
      ]);
      if (known !== null) return;
      if (spent(byAddress, this.maxPerAddress)) throw new TooManyClientAuthAttempts(byAddress.msBeforeNext / 1000);
      if (spent(byClient, this.maxPerClient)) throw new TooManyClientAuthAttempts(byClient.msBeforeNext / 1000);
    });
  }

  /** A failed client authentication: spends one from the address's budget and (when it named one) the client's. */
  async recordFailure(clientId: string | undefined, address: string): Promise<void> {
    const client = clientKeyOf(address);
    await this.guard(async () => {
      await Promise.all([this.perAddress.penalty(client, 1), clientId === undefined ? undefined : this.perClient.penalty(clientId, 1)]);
    });
  }

  /** The client authenticated over a connection from `peer`: the peer becomes (stays) known to it. The failures stay counted. */
  async recordSuccess(clientId: string, peer: string): Promise<void> {
    const pair = pairKey(clientId, clientKeyOf(peer));
    const now = Date.now();
    const last = this.markedAt.get(pair);
    if (last !== undefined && now - last < KNOWN_REFRESH_MS) return;
    if (this.markedAt.size >= KNOWN_MEMORY_MAX) this.markedAt.clear();
    this.markedAt.set(pair, now);
    try {
      await this.guard(() => this.known.set(pair, 1, CLIENT_KNOWN_ADDRESS_SECONDS));
    } catch (e) {
      // Not in Redis: the next success tries again; this instance still knows the pair (it saw the
      // success), which is what keeps the client working through a Redis outage.
      this.markedAt.set(pair, now - KNOWN_REFRESH_MS);
      throw e;
    }
  }

  /** Whether this instance saw `pair` authenticate within the last day (no Redis read: also during an outage). */
  private knownHere(pair: string): boolean {
    const last = this.markedAt.get(pair);
    return last !== undefined && Date.now() - last < CLIENT_KNOWN_ADDRESS_SECONDS * 1000;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TooManyClientAuthAttempts) throw e;
      // Without the counters, guessing is unbounded: refuse (503), never fail open.
      throw new DependencyUnavailableError('Client authentication is temporarily unavailable', { detail: String(e), cause: e });
    }
  }
}

function spent(res: RateLimiterRes | null, max: number): res is RateLimiterRes {
  return res !== null && res.consumedPoints >= max;
}

/** Client ids are visible ASCII without spaces (CLIENT_ID_PATTERN): a space can't be part of either side. */
function pairKey(clientId: string, clientKey: string): string {
  return `${clientId} ${clientKey}`;
}
