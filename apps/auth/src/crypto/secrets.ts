import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import pLimit, { type LimitFunction } from 'p-limit';
import { DependencyUnavailableError, InjectConfig } from '@authmesh/platform';
import type { AuthConfig } from '../config/auth.config.js';

/** OWASP password storage cheat sheet: argon2id, 19 MiB, 2 iterations, parallelism 1. */
const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, unusable under isolatedModules */,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Every hashing slot is taken and the queue is full: 503 with Retry-After, try again shortly. */
export class HashingBusyError extends DependencyUnavailableError {
  static override readonly code = 'hashing_busy';
  override readonly code = HashingBusyError.code;
  constructor() {
    super('Too many password checks at once; try again shortly', { retryAfterSeconds: 1 });
  }
}

/**
 * Hashes and checks passwords with argon2id (native binding), and the client rows that still hold an
 * argon2 hash from before client secrets were HMACs (ClientSecretHasher: checked once, then re-hashed).
 *
 * At most AUTH_HASH_CONCURRENCY run at once and AUTH_HASH_QUEUE wait; past that a request is
 * refused at once (503 `hashing_busy`). @node-rs/argon2 runs on libuv's thread pool (4 threads
 * by default), which DNS lookups, file I/O and zlib share: a burst of logins holding every thread
 * for ~50 ms each (and 19 MiB each) would starve all of those, and an unbounded queue would only
 * turn the burst into memory and timeouts. p-limit (the maintained package for exactly this)
 * bounds the concurrency; its pendingCount bounds the queue.
 */
@Injectable()
export class SecretHasher {
  // A real hash to verify against when the account does not exist, so a wrong email costs the
  // same time as a wrong password (no user enumeration by timing).
  private readonly dummy = hash(randomBytes(16).toString('hex'), ARGON2_OPTIONS);
  private readonly limit: LimitFunction;
  private readonly maxQueue: number;

  constructor(@InjectConfig() config: AuthConfig) {
    this.limit = pLimit(config.auth.hashConcurrency);
    this.maxQueue = config.auth.hashQueue;
  }

  hash(secret: string): Promise<string> {
    return this.run(() => hash(secret, ARGON2_OPTIONS));
  }

  /** Verifies `secret` against `stored`, or against a dummy hash when there is none. */
  async verify(stored: string | undefined, secret: string): Promise<boolean> {
    const target = stored ?? (await this.dummy);
    const ok = await this.run(() => verify(target, secret).catch(() => false));
    return ok && stored !== undefined;
  }

  /**
   * Throws HashingBusyError when a hash started now would be refused. Callers that spend a
   * guessing budget before checking a password ask first, so a busy server does not cost an
   * honest user an attempt.
   */
  assertCapacity(): void {
    if (this.limit.activeCount >= this.limit.concurrency && this.limit.pendingCount >= this.maxQueue) throw new HashingBusyError();
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    try {
      this.assertCapacity();
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.limit(task);
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
