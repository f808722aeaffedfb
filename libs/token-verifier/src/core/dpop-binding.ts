import type { VerifiedToken } from './claims.js';
import type { DpopCredentials } from './credentials.js';
import { DpopProofHtuMismatchError, DpopProofKeyMismatchError } from './dpop/errors.js';
import { DPOP_DEFAULT_FUTURE_SKEW_S, DPOP_DEFAULT_IAT_WINDOW_S, DPOP_SIGNING_ALGS, verifyDpopProof } from './dpop/verify-dpop-proof.js';
import { DpopReplayGuard } from './dpop-replay.js';
import { quoteForLog } from './errors.js';

export interface DpopBindingOptions {
  /**
   * The origins this service is addressed at (JWT_DPOP_ORIGINS), e.g. `https://api.example` and,
   * for the gateway's hop, `http://orders:3002`. A proof's `htu` must be one of them plus the
   * request's path. None: every DPoP request is refused (`dpop_proof_htu_mismatch`).
   */
  readonly origins: readonly string[];
  /** How long after its `iat` a proof is accepted (JWT_DPOP_IAT_WINDOW_S, default 60). */
  readonly iatWindowSeconds?: number;
  /** The jti replay check (default: a local cache only, right for one process). */
  readonly replay?: DpopReplayGuard;
  /** Accepted proof algorithms (default ES256 EdDSA RS256 PS256). */
  readonly allowedAlgs?: readonly string[];
  /**
   * How far the replicas' clocks may disagree (JWT_CLOCK_TOLERANCE_S; default 0): added to how long
   * a `jti` is remembered, so a replica whose clock runs behind still finds it (the Redis TTL is
   * computed on the clock of the replica that recorded it).
   */
  readonly clockToleranceSeconds?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** The request a DPoP proof came with, as the server received it. */
export interface DpopRequest {
  /** The method, exactly (`htm` is compared case-sensitively). */
  readonly method: string;
  /** The request-target as received (`/orders/1?x=y`); the query is not part of `htu` (RFC 9449 §4.3 check 9). */
  readonly target: string;
  /** The Host header: only chooses among the configured origins, never becomes one (Host header injection). */
  readonly host: string | undefined;
}

/**
 * The resource server's half of RFC 9449 §7: a token presented with `Authorization: DPoP` is
 * accepted only with a proof (checked by `verifyDpopProof`) for this request's method and URL, for
 * this token (`ath`), signed by the key the token is bound to (`cnf.jkt`), fresh (`iat`) and never
 * seen before (`jti`, DpopReplayGuard).
 *
 * The URL is one of the configured origins plus the request-target's path. Which origin is told by
 * the Host header, but only among the configured ones: a Host the operator did not list can never
 * make a proof for an attacker's URL acceptable here. With one origin, Host is not consulted.
 *
 * A token WITHOUT `cnf` presented with the DPoP scheme is accepted when its proof is valid
 * (RFC 9449 §7.1: the resource server MAY): such a token is a bearer token anyway, a client using
 * one DPoP code path for every token keeps working, and the proof is still checked in full, so
 * the DPoP scheme never means "skip the checks".
 */
export class DpopBinding {
  readonly iatWindowSeconds: number;
  readonly allowedAlgs: readonly string[];
  private readonly originByHost = new Map<string, string>();
  private readonly onlyOrigin: string | undefined;
  private readonly replay: DpopReplayGuard;
  private readonly now: () => number;
  private readonly rememberSlackS: number;

  constructor(options: DpopBindingOptions) {
    for (const origin of options.origins) {
      const url = new URL(origin);
      this.originByHost.set(url.host, url.origin);
    }
    this.onlyOrigin = this.originByHost.size === 1 ? [...this.originByHost.values()][0] : undefined;
    this.iatWindowSeconds = options.iatWindowSeconds ?? DPOP_DEFAULT_IAT_WINDOW_S;
    this.allowedAlgs = options.allowedAlgs ?? DPOP_SIGNING_ALGS;
    this.now = options.now ?? Date.now;
    this.rememberSlackS = DPOP_DEFAULT_FUTURE_SKEW_S + (options.clockToleranceSeconds ?? 0);
    this.replay = options.replay ?? new DpopReplayGuard({ now: this.now });
  }

  /** The origins proofs may name (for logs and docs). */
  get origins(): readonly string[] {
    return [...this.originByHost.values()];
  }

  /** Throws a DpopProofError subclass (or, fail-closed, the replay store's 503) unless the proof binds `verified` to this request. */
  async check(verified: VerifiedToken, credentials: DpopCredentials, request: DpopRequest): Promise<void> {
    const expectedJkt = boundJkt(verified);
    const url = this.urlOf(request);
    const nowMs = this.now();
    const proof = await verifyDpopProof(credentials.proof, {
      method: request.method,
      url,
      accessToken: credentials.token,
      expectedJkt,
      nowS: nowMs / 1000,
      iatWindowS: this.iatWindowSeconds,
      allowedAlgs: this.allowedAlgs,
    });
    // Remembered until no clock of ours would accept the proof any more: 5 s, plus the skew
    // between replicas the verifiers already tolerate for exp/nbf.
    await this.replay.check(proof.jkt, proof.jti, (proof.replayUntilS + this.rememberSlackS) * 1000 - nowMs);
  }

  private urlOf(request: DpopRequest): string {
    const host = request.host?.toLowerCase();
    const origin = this.onlyOrigin ?? (host === undefined ? undefined : this.originByHost.get(host));
    if (origin === undefined) {
      throw new DpopProofHtuMismatchError(
        this.originByHost.size === 0
          ? 'DPoP is not configured here (JWT_DPOP_ORIGINS is empty)'
          : `Host ${quoteForLog(request.host)} is none of JWT_DPOP_ORIGINS`,
      );
    }
    // Origin-form only (RFC 9112 §3.2.1); an absolute-form target names its own URL, which we don't take.
    if (request.target.charCodeAt(0) !== 47) throw new DpopProofHtuMismatchError(`request-target ${quoteForLog(request.target)}`);
    const q = request.target.indexOf('?');
    return origin + (q === -1 ? request.target : request.target.slice(0, q));
  }
}

/**
 * The thumbprint the token is bound to, or undefined for a token without `cnf`. A `cnf` with no
 * string `jkt` (another confirmation method, say mTLS `x5t#S256`) cannot be proven with DPoP.
 */
function boundJkt(verified: VerifiedToken): string | undefined {
  const cnf = verified.claims.cnf;
  if (cnf === undefined) return undefined;
  const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as { jkt?: unknown }).jkt : undefined;
  if (typeof jkt !== 'string' || jkt === '') throw new DpopProofKeyMismatchError('the token has cnf without a jkt');
  return jkt;
}
