import type { KeyObject } from 'node:crypto';

/** A JWKS key that passed every filter, ready for `crypto.verify`. */
export interface RsaVerificationKey {
  readonly kid: string;
  readonly keyObject: KeyObject;
  /** Modulus size in bytes: the exact length of every valid signature under this key. */
  readonly modulusBytes: number;
}
