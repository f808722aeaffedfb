import { createHash, randomBytes } from 'node:crypto';
import { type CryptoKey, type JWK, SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

/** The algorithms a DpopKey can sign proofs with (all in auth's `dpop_signing_alg_values_supported`). */
export type DpopKeyAlgorithm = 'ES256' | 'EdDSA' | 'RS256' | 'PS256';

/** What a proof is for besides its method and URL. */
export interface DpopProofOptions {
  /** The access token sent with the proof: its SHA-256 goes in `ath` (RFC 9449 §4.2); absent at the token endpoint. */
  accessToken?: string;
  /** The server's `DPoP-Nonce` (§8), when it asked for one. */
  nonce?: string;
}

/**
 * A process's DPoP key (RFC 9449): generated once, its private half non-extractable (it never
 * leaves the process, so a token bound to it is useless anywhere else), and a fresh proof per
 * request. `jkt` is the RFC 7638 thumbprint auth writes into the token's `cnf.jkt`.
 *
 * @example
 * const key = await DpopKey.generate();
 * const proof = await key.proof('POST', 'https://auth.example/oauth/token');
 * const api = await key.proof('GET', 'https://orders.example/orders', { accessToken });
 * fetch(url, { headers: { authorization: `DPoP ${accessToken}`, dpop: api } });
 */
export class DpopKey {
  /** The last `DPoP-Nonce` each origin sent (§8: a nonce is per server), so the next proof to it carries it. */
  private readonly nonces = new Map<string, string>();

  private constructor(
    private readonly privateKey: CryptoKey,
    /** The public JWK that goes in every proof's header. */
    readonly publicJwk: JWK,
    readonly alg: DpopKeyAlgorithm,
    /** RFC 7638 SHA-256 thumbprint of the public key (`cnf.jkt`, `dpop_jkt`). */
    readonly jkt: string,
    private readonly now: () => number,
  ) {}

  /** A new key pair (default ES256: the smallest proofs and the fastest to check). */
  static async generate(alg: DpopKeyAlgorithm = 'ES256', now: () => number = Date.now): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
    // The public key is always exportable (WebCrypto ignores `extractable` for it).
    const jwk = await exportJWK(publicKey);
    const publicJwk: JWK = Object.freeze(Object.fromEntries(Object.entries(jwk).filter(([k]) => !['key_ops', 'ext'].includes(k))));
    return new DpopKey(privateKey, publicJwk, alg, await calculateJwkThumbprint(publicJwk, 'sha256'), now);
  }

  /**
   * A proof for one request (RFC 9449 §4.2): `typ: dpop+jwt`, the public `jwk`, a random `jti`,
   * `htm`, `htu` (the URL without query and fragment, §4.2), `iat`, and `ath`/`nonce` when given.
   */
  async proof(method: string, url: string, options: DpopProofOptions = {}): Promise<string> {
    const htu = new URL(url);
    htu.search = '';
    htu.hash = '';
    const nonce = options.nonce ?? this.nonces.get(htu.origin);
    return new SignJWT({
      // 128 random bits: §4.2 asks for at least 96.
      jti: randomBytes(16).toString('base64url'),
      htm: method,
      htu: htu.href,
      iat: Math.floor(this.now() / 1000),
      ...(options.accessToken === undefined ? {} : { ath: createHash('sha256').update(options.accessToken).digest('base64url') }),
      ...(nonce === undefined ? {} : { nonce }),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: this.alg, jwk: this.publicJwk })
      .sign(this.privateKey);
  }

  /**
   * Remembers the `DPoP-Nonce` a response from `url`'s origin carried (any response: §8.2 lets a
   * server send a fresh one at any time); later proofs to that origin carry it. Returns whether
   * it is new (a `use_dpop_nonce` answer with a nonce we already sent is not worth a retry).
   */
  rememberNonce(url: string, nonce: string | string[] | undefined): boolean {
    if (typeof nonce !== 'string' || nonce === '' || nonce.length > 1024) return false;
    const { origin } = new URL(url);
    if (this.nonces.get(origin) === nonce) return false;
    // A process talks to a handful of servers; the bound keeps a hostile one from growing the map.
    if (this.nonces.size >= 64 && !this.nonces.has(origin)) this.nonces.clear();
    this.nonces.set(origin, nonce);
    return true;
  }
}

/** Whether a response asks for a (new) server nonce: RFC 9449 §8 (400 at a token endpoint) and §9 (401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"`). */
export function asksForDpopNonce(status: number, headers: Record<string, string | string[] | undefined>, bodyError?: unknown): boolean {
  if (status === 400 && bodyError === 'use_dpop_nonce') return true;
  const challenge = headers['www-authenticate'];
  return status === 401 && [challenge ?? []].flat().some((c) => /error="use_dpop_nonce"/.test(c));
}

/**
 * `createDpopProof(key, method, url, { accessToken, nonce })`: the same as `key.proof(…)`, as a
 * function for callers that hold the key elsewhere (the gateway's own proofs).
 */
export function createDpopProof(key: DpopKey, method: string, url: string, options: DpopProofOptions = {}): Promise<string> {
  return key.proof(method, url, options);
}
