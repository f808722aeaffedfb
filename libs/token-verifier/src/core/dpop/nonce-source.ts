import { createHmac, timingSafeEqual } from 'node:crypto';

/** What `nonceOf` makes: 16 bytes in base64url, no padding (ASCII only, so 22 bytes too). */
const NONCE_SHAPE = /^[A-Za-z0-9_-]{22}$/;

/** Options of `DpopNonceSource`. */
export interface DpopNonceSourceOptions {
  /** At least 32 random bytes; every instance that must accept the others' nonces holds the same (auth: HKDF of AUTH_KEK). */
  secret: Uint8Array;
  /** How long one nonce is handed out; a nonce is accepted for this window and the next one. */
  windowS: number;
  /** Injected clock, ms since the epoch. */
  now?: () => number;
}

/**
 * Server-provided DPoP nonces (RFC 9449 §8) without shared state: the nonce of a time window is
 * the HMAC-SHA-256 of the window's number under a secret every instance shares, so any replica
 * (or a verifier given the same secret) checks a nonce another one handed out. The current and
 * the previous window's nonces are accepted, so a client given a nonce just before a window ends
 * still has a full window to use it (§8.2: the server decides how long a nonce stays valid).
 *
 * A nonce bounds how far ahead a proof can be made (pre-generated proofs, §11.2), which the
 * `iat` check alone cannot do against a client clock that is set forward; it is not a replay
 * defence on its own (the `jti` check is).
 *
 * @example
 * const nonces = new DpopNonceSource({ secret, windowS: 300 });
 * reply.header('DPoP-Nonce', nonces.current());
 * await verifyDpopProof(proof, { ..., nonce: (n) => nonces.accepts(n) });
 */
export class DpopNonceSource {
  private readonly secret: Uint8Array;
  private readonly windowMs: number;
  private readonly now: () => number;
  private cached: { window: number; nonce: string } | undefined;

  constructor(options: DpopNonceSourceOptions) {
    if (options.secret.length < 32) throw new TypeError('DpopNonceSource needs a secret of at least 32 bytes');
    if (!(options.windowS >= 1)) throw new TypeError('DpopNonceSource needs a window of at least 1 s');
    this.secret = options.secret;
    this.windowMs = options.windowS * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The nonce to send in `DPoP-Nonce` now. */
  current(): string {
    const window = Math.floor(this.now() / this.windowMs);
    if (this.cached?.window !== window) this.cached = { window, nonce: this.nonceOf(window) };
    return this.cached.nonce;
  }

  /** Whether `nonce` is this window's or the previous one's (constant-time comparison). */
  accepts(nonce: string | undefined): boolean {
    // The shape first, in bytes as well as characters: 22 characters of 'é' are 44 bytes, and
    // timingSafeEqual throws on buffers of different lengths (a 500 for a hostile proof).
    if (typeof nonce !== 'string' || !NONCE_SHAPE.test(nonce)) return false;
    const window = Math.floor(this.now() / this.windowMs);
    const got = Buffer.from(nonce);
    return [window, window - 1].some((w) =>
      timingSafeEqual(got, Buffer.from(w === this.cached?.window ? this.cached.nonce : this.nonceOf(w))),
    );
  }

  private nonceOf(window: number): string {
    // 128 bits of the MAC: unguessable, and short enough for a header on every response.
    return createHmac('sha256', this.secret).update(`dpop-nonce:${window}`).digest().subarray(0, 16).toString('base64url');
  }
}
