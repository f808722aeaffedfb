import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** OWASP password storage cheat sheet: argon2id, 19 MiB, 2 iterations, parallelism 1. */
const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, unusable under isolatedModules */,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Hashes and checks passwords and client secrets with argon2id (native binding). */
export class SecretHasher {
  // A real hash to verify against when the account does not exist, so a wrong email costs the
  // same time as a wrong password (no user enumeration by timing).
  private readonly dummy = hash(randomBytes(16).toString('hex'), ARGON2_OPTIONS);

  hash(secret: string): Promise<string> {
    return hash(secret, ARGON2_OPTIONS);
  }

  /** Verifies `secret` against `stored`, or against a dummy hash when there is none. */
  async verify(stored: string | undefined, secret: string): Promise<boolean> {
    const target = stored ?? (await this.dummy);
    const ok = await verify(target, secret).catch(() => false);
    return ok && stored !== undefined;
  }
}

/** An opaque token of 256 random bits (base64url). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of an opaque token: what the database stores instead of the token. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
