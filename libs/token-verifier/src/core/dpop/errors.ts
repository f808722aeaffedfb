import type { TokenErrorCode } from '@authmesh/contracts';
import { TokenVerificationError } from '../errors.js';

/**
 * The `error` of a `WWW-Authenticate: DPoP` challenge a DPoP failure maps to (RFC 9449 §7.1):
 * `invalid_dpop_proof` for a bad proof, `invalid_token` for a token that may not be used this way,
 * `use_dpop_nonce` when the server wants its nonce in the proof (§8, §9).
 */
export type DpopChallengeError = 'invalid_dpop_proof' | 'invalid_token' | 'use_dpop_nonce';

/**
 * Base class of every DPoP failure: a TokenVerificationError (so a verifier's error mapping takes
 * it as it takes any other token failure) that also names its §7.1 challenge error. As for every
 * token error, `message` is a fixed public string and `detail` is for the log only.
 */
export abstract class DpopProofError extends TokenVerificationError {
  abstract readonly wwwAuthenticateError: DpopChallengeError;

  protected constructor(publicMessage: string, detail?: string) {
    super(publicMessage, detail);
  }
}

/** A DPoP-bound token (or the `DPoP` scheme, or a client that must use DPoP) without a `DPoP` proof header. */
export class DpopProofMissingError extends DpopProofError {
  static readonly code = 'dpop_proof_missing';
  readonly code = DpopProofMissingError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('A DPoP proof is required', detail);
  }
}

/**
 * Not a compact JWS with a JSON header and claims, `typ` not `dpop+jwt`, no usable `jwk` header, a
 * required claim (`jti`, `htm`, `htu`, `iat`) absent or of the wrong type, or longer than the cap
 * (RFC 9449 §4.3 checks 2-4).
 */
export class DpopProofMalformedError extends DpopProofError {
  static readonly code = 'dpop_proof_malformed';
  readonly code = DpopProofMalformedError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is malformed', detail);
  }
}

/** `alg` is not one of the accepted asymmetric algorithms: `none` and HMAC never are (RFC 9449 §4.3 check 5). */
export class DpopProofBadAlgorithmError extends DpopProofError {
  static readonly code = 'dpop_proof_bad_algorithm';
  readonly code = DpopProofBadAlgorithmError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is not signed with an accepted algorithm', detail);
  }
}

/** The signature does not verify under the proof's own `jwk` (RFC 9449 §4.3 check 6). */
export class DpopProofBadSignatureError extends DpopProofError {
  static readonly code = 'dpop_proof_bad_signature';
  readonly code = DpopProofBadSignatureError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof signature is invalid', detail);
  }
}

/** The `jwk` header holds private key members (RFC 9449 §4.3 check 7): refused, never imported. */
export class DpopProofPrivateKeyError extends DpopProofError {
  static readonly code = 'dpop_proof_private_key';
  readonly code = DpopProofPrivateKeyError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof carries a private key', detail);
  }
}

/** `htm` is not the request's method (RFC 9449 §4.3 check 8). */
export class DpopProofHtmMismatchError extends DpopProofError {
  static readonly code = 'dpop_proof_htm_mismatch';
  readonly code = DpopProofHtmMismatchError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is for another HTTP method', detail);
  }
}

/** `htu` is not the request's URL, after normalisation and without query and fragment (RFC 9449 §4.3 check 9). */
export class DpopProofHtuMismatchError extends DpopProofError {
  static readonly code = 'dpop_proof_htu_mismatch';
  readonly code = DpopProofHtuMismatchError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is for another URL', detail);
  }
}

/** `iat` is outside the accepted window (RFC 9449 §4.3 check 11): too old to be fresh, or too far in the future. */
export class DpopProofStaleError extends DpopProofError {
  static readonly code = 'dpop_proof_stale';
  readonly code = DpopProofStaleError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is not fresh', detail);
  }
}

/** `ath` is absent or not the SHA-256 of the access token it comes with (RFC 9449 §4.3 check 12, §7.1). */
export class DpopProofAthMismatchError extends DpopProofError {
  static readonly code = 'dpop_proof_ath_mismatch';
  readonly code = DpopProofAthMismatchError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is for another access token', detail);
  }
}

/**
 * The proof's key is not the one the token (its `cnf.jkt`), code or refresh token is bound to
 * (RFC 9449 §4.3 check 12, §6.1): a stolen token replayed with the thief's own key.
 */
export class DpopProofKeyMismatchError extends DpopProofError {
  static readonly code = 'dpop_proof_key_mismatch';
  readonly code = DpopProofKeyMismatchError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof is signed with another key than the token is bound to', detail);
  }
}

/**
 * The proof's `jti` was seen before within its window (RFC 9449 §11.1, proof replay). This core
 * keeps no state: the callers' replay stores throw it.
 */
export class DpopProofReplayedError extends DpopProofError {
  static readonly code = 'dpop_proof_replayed';
  readonly code = DpopProofReplayedError.code;
  readonly wwwAuthenticateError = 'invalid_dpop_proof';
  constructor(detail?: string) {
    super('The DPoP proof has been used before', detail);
  }
}

/**
 * The server wants its nonce in the proof and the proof has none, or a stale one (RFC 9449 §8):
 * answered with `use_dpop_nonce` and a fresh `DPoP-Nonce` header, and the client retries with it.
 */
export class DpopNonceRequiredError extends DpopProofError {
  static readonly code = 'dpop_nonce_required';
  readonly code = DpopNonceRequiredError.code;
  readonly wwwAuthenticateError = 'use_dpop_nonce';
  constructor(detail?: string) {
    super('The DPoP proof must carry the server nonce', detail);
  }
}

/**
 * A DPoP-bound token (it has `cnf.jkt`) presented with the `Bearer` scheme (RFC 9449 §7.2): a
 * downgrade that would drop the proof of possession, so the token is refused.
 */
export class DpopTokenAsBearerError extends DpopProofError {
  static readonly code = 'dpop_token_as_bearer';
  readonly code = DpopTokenAsBearerError.code;
  readonly wwwAuthenticateError = 'invalid_token';
  constructor(detail?: string) {
    super('A DPoP-bound access token must be sent with the DPoP scheme', detail);
  }
}

/** Every DPoP code, e.g. to pre-create metric label values. */
export const DPOP_ERROR_CODES: readonly TokenErrorCode[] = [
  DpopProofMissingError.code,
  DpopProofMalformedError.code,
  DpopProofBadAlgorithmError.code,
  DpopProofBadSignatureError.code,
  DpopProofPrivateKeyError.code,
  DpopProofHtmMismatchError.code,
  DpopProofHtuMismatchError.code,
  DpopProofStaleError.code,
  DpopProofAthMismatchError.code,
  DpopProofKeyMismatchError.code,
  DpopProofReplayedError.code,
  DpopNonceRequiredError.code,
  DpopTokenAsBearerError.code,
];
