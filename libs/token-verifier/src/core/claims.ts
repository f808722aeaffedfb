import { TokenMalformedError } from './errors.js';

/**
 * RFC 8693 §4.1 `act`: the party acting for the token's subject (a token exchanged by the gateway
 * carries `{ sub: 'gateway' }`). A nested `act` names the actor before it, most recent outermost.
 */
export interface ActorClaim {
  readonly sub: string;
  readonly act?: ActorClaim;
  readonly [claim: string]: unknown;
}

/**
 * How many actors an `act` chain may hold. RFC 8693 sets no limit; a real chain has one or two
 * (gateway, then perhaps a service). The bound keeps a hostile token from making us walk (and the
 * issuer from ever minting) an unbounded chain.
 */
export const MAX_ACTOR_CHAIN = 8;

/**
 * Validates an `act` claim: absent, or an object whose `sub` is a non-empty string and whose
 * optional nested `act` is valid in turn (at most MAX_ACTOR_CHAIN deep). Returns it deep-frozen, so a
 * cached token's claims stay immutable. Throws TokenMalformedError otherwise.
 */
export function parseActorClaim(value: unknown): ActorClaim | undefined {
  if (value === undefined) return undefined;
  let depth = 0;
  for (let actor: unknown = value; actor !== undefined; actor = (actor as { act?: unknown }).act) {
    if (++depth > MAX_ACTOR_CHAIN) throw new TokenMalformedError(`act claim nests more than ${MAX_ACTOR_CHAIN} actors`);
    if (typeof actor !== 'object' || actor === null || Array.isArray(actor)) throw new TokenMalformedError('act claim is not an object');
    const { sub } = actor as { sub?: unknown };
    if (typeof sub !== 'string' || sub === '') throw new TokenMalformedError('act claim has no sub');
    Object.freeze(actor);
  }
  return value as ActorClaim;
}

/** The actors of an `act` chain, current actor first (1 for a token exchanged once). */
export function actorChainLength(act: ActorClaim | undefined): number {
  let n = 0;
  for (let a = act; a !== undefined; a = a.act) n++;
  return n;
}

/**
 * The claims of an RFC 9068 access token as auth issues them (docs/architecture.md, "Token verification in every service"). Only what
 * `checkClaims` has validated is typed; anything else stays `unknown`.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  /** Seconds since the epoch. */
  readonly exp: number;
  /** Seconds since the epoch. */
  readonly iat: number;
  /** Seconds since the epoch; optional in RFC 9068, always set by our auth. */
  readonly nbf?: number;
  readonly jti: string;
  readonly client_id: string;
  /** Space-separated scopes (RFC 8693 §4.2). */
  readonly scope?: string;
  /** Set on tokens from a token exchange (RFC 8693 §4.1); validated by `parseActorClaim`. */
  readonly act?: ActorClaim;
  /** Set on DPoP-bound tokens (RFC 9449 §6.1): the proof of every request must be signed by this key. */
  readonly cnf?: ConfirmationClaim;
  readonly [claim: string]: unknown;
}

/** RFC 7800 `cnf`, as RFC 9449 §6.1 uses it: the RFC 7638 SHA-256 thumbprint of the key the token is bound to. */
export interface ConfirmationClaim {
  readonly jkt: string;
  readonly [member: string]: unknown;
}

/** Who is calling, as derived from a verified token (what `@CurrentPrincipal()` and `GET /whoami` give). */
export interface Principal {
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly audience: readonly string[];
  readonly tokenId: string;
  /** `exp` as an RFC 3339 UTC instant (`2026-05-01T12:00:00Z`). A string, so the shared (cached) principal stays immutable. */
  readonly expiresAt: string;
  /** A client-credentials token: the client acts for itself (`sub === client_id`). */
  readonly isService: boolean;
  /**
   * The current actor (`act.sub`) of an exchanged token, e.g. `gateway`: it acts for `sub`. Absent
   * on tokens that were not exchanged. Prior actors (a nested `act`) are left out on purpose: RFC
   * 8693 §4.1, they "are informational only and are not to be considered in access control decisions".
   */
  readonly actor?: string;
}

/** The result of a successful verification. The verified-token cache hands the same object to every request with the token. */
export interface VerifiedToken {
  readonly claims: AccessTokenClaims;
  /** Derived from the claims on first use, then kept (with the cache, once per token). */
  readonly principal: Principal;
  /** The JWKS key the signature verified under. */
  readonly kid: string;
}

/**
 * A frozen verified token whose principal is built on first access: routes that never ask for it
 * don't pay for it, and a cached token builds it once.
 */
export class VerifiedAccessToken implements VerifiedToken {
  #principal: Principal | undefined;

  /** Throws TokenMalformedError when the `act` claim is malformed (checked once, before the token is cached). */
  constructor(
    readonly claims: AccessTokenClaims,
    readonly kid: string,
  ) {
    parseActorClaim(claims.act);
    Object.freeze(this);
  }

  get principal(): Principal {
    return (this.#principal ??= toPrincipal(this.claims));
  }

  /** What a VerifiedToken looks like in JSON (the getter is not an own property). */
  toJSON(): { claims: AccessTokenClaims; principal: Principal; kid: string } {
    return { claims: this.claims, principal: this.principal, kid: this.kid };
  }
}

/** Derives the principal from validated claims. */
export function toPrincipal(claims: AccessTokenClaims): Principal {
  const scopes = claims.scope === undefined ? [] : claims.scope.split(' ').filter((s) => s !== '');
  const audience = typeof claims.aud === 'string' ? [claims.aud] : [...claims.aud];
  return Object.freeze({
    sub: claims.sub,
    clientId: claims.client_id,
    scopes: Object.freeze(scopes),
    audience: Object.freeze(audience),
    tokenId: claims.jti,
    expiresAt: isoInstant(claims.exp),
    isService: claims.sub === claims.client_id,
    ...(claims.act === undefined ? {} : { actor: claims.act.sub }),
  });
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * `seconds` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`. Hand-built because `Date#toISOString` costs
 * about a microsecond, ~3 % of an RSA verification, on the cold path. `checkClaims` bounds every
 * NumericDate to years 1970-9999, so four-digit years always hold.
 */
export function isoInstant(seconds: number): string {
  const d = new Date(Math.floor(seconds) * 1000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}Z`;
}
