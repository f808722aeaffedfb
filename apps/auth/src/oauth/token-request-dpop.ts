import { hkdfSync } from 'node:crypto';
import { decodeJwt } from 'jose';
import {
  DpopNonceSource,
  DpopProofError,
  DpopProofMalformedError,
  DpopProofMissingError,
  DpopProofReplayedError,
  normalizeHtu,
  verifyDpopProof,
  type VerifiedDpopProof,
} from '@authmesh/token-verifier';
import type { AuthConfig } from '../config/auth.config.js';
import type { CachedClientRecord } from '../clients/client-record-cache.js';
import type { JtiReplayStore } from './jti-replay.store.js';
import { InvalidDpopProof, UseDpopNonce } from './oauth.errors.js';

/** RFC 5869 §3.2 `info`: the nonce key serves this one purpose. */
const NONCE_KEY_INFO = 'authmesh auth dpop-nonce v1';

/**
 * DPoP (RFC 9449) at the token endpoint: checks the `DPoP` header of a token request with the
 * shared proof checker, against the token endpoint's own URL, refuses a proof's `jti` a second
 * time within its window (Redis, across every auth instance), asks for the server nonce when
 * AUTH_DPOP_REQUIRE_NONCE is on, and hands out that nonce.
 *
 * Which `htu` is accepted: `${AUTH_ISSUER}/oauth/token` (the public URL, what an outside client
 * sees in discovery) and the URLs of AUTH_DPOP_TOKEN_URLS (where in-cluster clients reach auth).
 * Never a URL built from the request's Host header: §4.3 check 9 exists so that a proof made for
 * one server can't be replayed at another, and a Host header is whatever the sender says, so a
 * server that collected proofs for its own URL could forward them here with a matching Host.
 */
export class TokenRequestDpop {
  /** The server nonce (§8): HMAC of the time window under a key derived from AUTH_KEK, the same on every replica. */
  readonly nonces: DpopNonceSource;
  private readonly urls: { url: string; normalized: string }[];
  private readonly requireNonce: boolean;
  private readonly windowS: number;

  constructor(
    config: AuthConfig,
    private readonly replay: JtiReplayStore,
    private readonly nowMs: () => number = Date.now,
  ) {
    const { dpop, kek } = config.auth;
    // No salt: the KEK is uniformly random (RFC 5869 §3.1).
    const secret = new Uint8Array(hkdfSync('sha256', kek, Buffer.alloc(0), NONCE_KEY_INFO, 32));
    this.nonces = new DpopNonceSource({ secret, windowS: dpop.nonceWindowSeconds, now: nowMs });
    this.urls = dpop.tokenEndpointUrls.map((url) => ({ url, normalized: normalizeHtu(url) }));
    this.requireNonce = dpop.requireNonce;
    this.windowS = dpop.proofWindowSeconds;
  }

  /**
   * The verified proof of the request, or undefined when it has no `DPoP` header. Throws
   * InvalidDpopProof (400 `invalid_dpop_proof`) or UseDpopNonce (400 `use_dpop_nonce`); a Redis
   * outage is a 503 (the replay check fails closed).
   */
  async verify(header: string | string[] | undefined): Promise<VerifiedDpopProof | undefined> {
    if (header === undefined) return undefined;
    try {
      // §4.3 check 1: one DPoP header. Node joins repeated headers with ", "; a proof has neither.
      if (Array.isArray(header) || /[\s,]/.test(header)) throw new DpopProofMalformedError('more than one DPoP header');
      const nowS = Math.floor(this.nowMs() / 1000);
      const proof = await verifyDpopProof(header, {
        method: 'POST',
        url: this.urlFor(header),
        nowS,
        iatWindowS: this.windowS,
        ...(this.requireNonce ? { nonce: (n: string | undefined) => this.nonces.accepts(n) } : {}),
      });
      // §11.1: a jti is single-use per key within the proof's window (every auth instance shares the store).
      const ttlMs = (proof.replayUntilS - nowS + 1) * 1000;
      if (!(await this.replay.claim(proof.jkt, proof.jti, ttlMs))) throw new DpopProofReplayedError(`jti of key ${proof.jkt}`);
      return proof;
    } catch (e) {
      if (!(e instanceof DpopProofError)) throw e;
      throw e.wwwAuthenticateError === 'use_dpop_nonce' ? new UseDpopNonce(e) : new InvalidDpopProof(e);
    }
  }

  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: a client registered with it gets nothing without a proof. */
  requireIfBound(client: Pick<CachedClientRecord, 'dpopBoundAccessTokens'>, proof: VerifiedDpopProof | undefined): void {
    if (client.dpopBoundAccessTokens && proof === undefined)
      throw new InvalidDpopProof(new DpopProofMissingError('the client is registered with dpop_bound_access_tokens'));
  }

  /**
   * The accepted URL the proof names, so the checker compares against it; the public one when it
   * names none of them (the checker then refuses it as `dpop_proof_htu_mismatch`).
   */
  private urlFor(proof: string): string {
    let htu: unknown;
    try {
      htu = decodeJwt(proof).htu;
    } catch {
      // Malformed: the checker says why.
    }
    if (typeof htu === 'string') {
      let normalized: string | undefined;
      try {
        normalized = normalizeHtu(htu);
      } catch {
        normalized = undefined;
      }
      const match = this.urls.find((u) => u.normalized === normalized);
      if (match) return match.url;
    }
    return this.urls[0]!.url;
  }
}
