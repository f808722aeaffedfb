import { createHash } from 'node:crypto';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { quoteForLog } from '../errors.js';
import {
  DpopNonceRequiredError,
  type DpopProofError,
  DpopProofAthMismatchError,
  DpopProofBadAlgorithmError,
  DpopProofBadSignatureError,
  DpopProofHtmMismatchError,
  DpopProofHtuMismatchError,
  DpopProofKeyMismatchError,
  DpopProofMalformedError,
  DpopProofPrivateKeyError,
  DpopProofStaleError,
} from './errors.js';
import { normalizeHtu } from './normalize-htu.js';

/**
 * The algorithms a DPoP proof may be signed with: asymmetric only. RFC 9449 §4.2: `alg` "MUST NOT
 * be none or an identifier for a symmetric algorithm" (a MAC proves nothing about a key the client
 * holds alone). What discovery lists as `dpop_signing_alg_values_supported`.
 */
export const DPOP_SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export type DpopSigningAlg = (typeof DPOP_SIGNING_ALGS)[number];

/** How long a proof is accepted after its `iat` by default (RFC 9449 §11.1: "a relatively brief period"). */
export const DPOP_DEFAULT_IAT_WINDOW_S = 60;
/** How far ahead of our clock a proof's `iat` may be by default: client clocks drift a little. */
export const DPOP_DEFAULT_FUTURE_SKEW_S = 5;
/**
 * Proofs longer than this are refused before any parsing. An RS256 proof with a 4096-bit key is
 * about 2 KB; the cap leaves room for that and keeps a hostile header from costing us parse time.
 */
export const DPOP_MAX_PROOF_BYTES = 8192;
/** `jti` is a random id (RFC 9449 §4.2: 96 bits or more); bounded because callers use it as a replay-store key. */
export const DPOP_MAX_JTI_LENGTH = 256;

/**
 * JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037
 * §2). RFC 9449 §4.3 check 7: the `jwk` header "does not contain a private key".
 */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** What the request the proof came with looks like, and the rules the caller adds. */
export interface DpopProofExpectations {
  /** The request's method; `htm` must equal it exactly (RFC 9449 §4.3 check 8). */
  method: string;
  /** The request's URL as the client addressed it; `htu` must equal it after `normalizeHtu` (§4.3 check 9). */
  url: string;
  /** When present, `ath` must be base64url(SHA-256(token)) (§4.3 check 12): a proof for one token is no proof for another. */
  accessToken?: string;
  /** When present, the proof key's RFC 7638 thumbprint must equal it: the token's `cnf.jkt`, a bound code or refresh token. */
  expectedJkt?: string;
  /**
   * The server nonce (§8): a value the proof's `nonce` must equal, or a predicate that accepts
   * the proof's nonce (called with `undefined` when it has none). A refusal is DpopNonceRequiredError.
   */
  nonce?: string | ((nonce: string | undefined) => boolean);
  /** Our clock, seconds since the epoch (injected, as everywhere in the verifier). */
  nowS: number;
  /** How long after its `iat` a proof is accepted; default DPOP_DEFAULT_IAT_WINDOW_S. */
  iatWindowS?: number;
  /** How far ahead of `nowS` an `iat` may be; default DPOP_DEFAULT_FUTURE_SKEW_S. */
  iatFutureSkewS?: number;
  /** The accepted `alg` values; default DPOP_SIGNING_ALGS. Only asymmetric ones take effect. */
  allowedAlgs?: readonly string[];
}

/** A proof that passed every check but replay, which is the caller's (it owns the replay store). */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the `cnf.jkt` to bind a token to. */
  jkt: string;
  jti: string;
  iat: number;
  htm: string;
  htu: string;
  nonce?: string;
  /**
   * Until when (seconds since the epoch) this proof would still be accepted: how long a replay
   * store must remember its `jti`: `iat` + the window (an `iat` ahead of our clock only makes it later).
   */
  replayUntilS: number;
}

/**
 * Checks a DPoP proof JWT (RFC 9449 §4.3) against the request it came with: structure and size,
 * `typ: dpop+jwt`, an asymmetric `alg`, a public-only `jwk` header, the signature under that key,
 * `jti`/`htm`/`htu`/`iat` present, `htm` and `htu` matching, `iat` within the window, the nonce, and
 * when given the `ath` of the access token and the key's thumbprint. Replay of `jti` is NOT checked
 * here (no state): the caller records `jti` until `replayUntilS` and refuses a second use.
 *
 * Throws one DpopProofError subclass per failure (never a bare jose or Type error).
 *
 * @example
 * const proof = await verifyDpopProof(req.headers.dpop, {
 *   method: 'POST', url: 'https://auth.example/oauth/token', nowS: Math.floor(Date.now() / 1000),
 * });
 * await replayStore.claimOnce(proof.jti, proof.replayUntilS); // the caller's
 * issueTokenBoundTo(proof.jkt);
 */
export async function verifyDpopProof(proof: string, expect: DpopProofExpectations): Promise<VerifiedDpopProof> {
  if (typeof proof !== 'string' || proof === '') throw new DpopProofMalformedError('empty proof');
  if (proof.length > DPOP_MAX_PROOF_BYTES) throw new DpopProofMalformedError(`proof of ${proof.length} characters`);

  const header = decodeHeader(proof);
  // §4.3 check 4: explicit typing keeps another JWT (an ID token, an access token) from passing as a proof.
  if (header.typ !== 'dpop+jwt') throw new DpopProofMalformedError(`typ ${quoteForLog(header.typ)}`);
  const allowed = (expect.allowedAlgs ?? DPOP_SIGNING_ALGS).filter(isAsymmetric);
  // RFC 8725 §3.1 and RFC 9449 §4.2: the proof names its alg, but only from our list; `none` and HMAC never.
  if (typeof header.alg !== 'string' || !allowed.includes(header.alg))
    throw new DpopProofBadAlgorithmError(`alg ${quoteForLog(header.alg)}`);
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new DpopProofMalformedError('no jwk header');
  for (const member of PRIVATE_JWK_MEMBERS) {
    // §4.3 check 7, checked before jose imports anything: a client that leaks its private key in a
    // proof has no key left to bind to, and importing it would be using attacker key material.
    if (member in jwk) throw new DpopProofPrivateKeyError(`jwk carries "${member}"`);
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: allowed,
      currentDate: new Date(expect.nowS * 1000),
    }));
  } catch (err) {
    throw fromJose(err);
  }

  const { jti, htm, htu, iat, nonce, ath } = payload as JWTPayload & Record<'htm' | 'htu' | 'nonce' | 'ath', unknown>;
  if (typeof jti !== 'string' || jti === '' || jti.length > DPOP_MAX_JTI_LENGTH)
    throw new DpopProofMalformedError('jti missing or not a bounded string');
  if (typeof htm !== 'string' || htm === '') throw new DpopProofMalformedError('htm missing');
  if (typeof htu !== 'string' || htu === '') throw new DpopProofMalformedError('htu missing');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopProofMalformedError('iat missing');
  if (nonce !== undefined && typeof nonce !== 'string') throw new DpopProofMalformedError('nonce is not a string');

  // §4.3 check 8: methods are case-sensitive (RFC 9110 §9.1), so no case folding.
  if (htm !== expect.method) throw new DpopProofHtmMismatchError(`htm ${quoteForLog(htm)} for ${expect.method}`);
  let proofUrl: string;
  try {
    proofUrl = normalizeHtu(htu);
  } catch {
    throw new DpopProofHtuMismatchError(`htu ${quoteForLog(htu)} is not an http(s) URL`);
  }
  if (proofUrl !== normalizeHtu(expect.url)) throw new DpopProofHtuMismatchError(`htu ${quoteForLog(htu)} for ${expect.url}`);

  // §8 before the clock: a client whose clock is off learns from use_dpop_nonce how to get a proof accepted.
  if (expect.nonce !== undefined) {
    let ok: boolean;
    try {
      ok = typeof expect.nonce === 'string' ? nonce === expect.nonce : expect.nonce(nonce);
    } catch {
      // A nonce check that throws on what the client sent is a refused nonce, never a 500.
      ok = false;
    }
    if (!ok) throw new DpopNonceRequiredError(nonce === undefined ? 'no nonce' : 'stale or unknown nonce');
  }

  // §4.3 check 11 / §11.1: a short window bounds how long a captured proof could be replayed, and
  // how long a replay store must remember its jti.
  const windowS = expect.iatWindowS ?? DPOP_DEFAULT_IAT_WINDOW_S;
  const futureS = expect.iatFutureSkewS ?? DPOP_DEFAULT_FUTURE_SKEW_S;
  if (iat < expect.nowS - windowS) throw new DpopProofStaleError(`iat ${iat} is ${expect.nowS - iat} s old`);
  if (iat > expect.nowS + futureS) throw new DpopProofStaleError(`iat ${iat} is ${iat - expect.nowS} s ahead`);

  if (expect.accessToken !== undefined) {
    const expected = createHash('sha256').update(expect.accessToken, 'ascii').digest('base64url');
    if (ath !== expected) throw new DpopProofAthMismatchError(ath === undefined ? 'no ath' : 'ath is for another token');
  }

  let jkt: string;
  try {
    jkt = await dpopThumbprint(jwk as JWK);
  } catch {
    throw new DpopProofMalformedError('jwk has no thumbprint');
  }
  if (expect.expectedJkt !== undefined && jkt !== expect.expectedJkt) {
    throw new DpopProofKeyMismatchError(`proof key ${jkt}, bound to ${quoteForLog(expect.expectedJkt)}`);
  }

  return {
    jkt,
    jti,
    iat,
    htm,
    htu,
    ...(nonce === undefined ? {} : { nonce }),
    replayUntilS: Math.ceil(iat) + windowS,
  };
}

/**
 * RFC 7638 SHA-256 thumbprint (base64url) of a public JWK: the `jkt` of RFC 9449 §6.1, the value of
 * `cnf.jkt` and of the `dpop_jkt` authorize parameter. Throws for a JWK lacking its required members.
 *
 * @example
 * await dpopThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }) // '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'
 */
export async function dpopThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

function isAsymmetric(alg: string): boolean {
  return alg !== 'none' && !alg.startsWith('HS');
}

function decodeHeader(proof: string): ProtectedHeaderParameters {
  // Three base64url segments only: a JWE or a JSON serialisation is not a proof.
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(proof)) throw new DpopProofMalformedError('not a compact JWS');
  try {
    return decodeProtectedHeader(proof);
  } catch (err) {
    throw new DpopProofMalformedError(`header does not decode: ${(err as Error).message}`);
  }
}

/** What a jose failure of jwtVerify means for a proof whose header already passed our checks. */
function fromJose(err: unknown): DpopProofError {
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new DpopProofBadSignatureError();
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new DpopProofBadAlgorithmError(err.message);
  // A proof that carries `exp` and is past it (RFC 9449 does not require exp; some clients add it).
  if (err instanceof joseErrors.JWTExpired) return new DpopProofStaleError(err.message);
  if (err instanceof joseErrors.JOSEError) return new DpopProofMalformedError(`${err.code}: ${err.message}`);
  // jose throws TypeError for a key that does not fit the alg (an RSA jwk with ES256…).
  // Anything else is still about the proof, never a 500: RFC 9449 §7.1 answers it as invalid_dpop_proof.
  return new DpopProofMalformedError(err instanceof Error ? err.message : String(err));
}
