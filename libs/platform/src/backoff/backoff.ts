/**
 * How a retry spreads its delays (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * - `none`: exactly the capped exponential delay;
 * - `equal`: half of it fixed, half random, so a retry never comes early but a fleet still
 *   spreads out;
 * - `full`: anywhere between 0 and it, the widest spread (fewest collisions, some retries at once).
 */
export type BackoffJitter = 'none' | 'equal' | 'full';

/** Delays are in the caller's unit (ms for timers, whole seconds for the login delays); results are rounded to whole units. */
export interface BackoffOptions {
  /** The delay of the first retry before jitter. */
  readonly initial: number;
  /** No delay (before jitter) is longer than this. */
  readonly max: number;
  /** Default `none`. */
  readonly jitter?: BackoffJitter;
  /** No delay (after jitter) is shorter than this (default 0). */
  readonly min?: number;
  /** Each delay is this many times the last (default 2). */
  readonly factor?: number;
  /** Jitter source in [0, 1) (default `Math.random`): inject a constant in tests. */
  readonly random?: () => number;
}

/** Past this many doublings every sane cap is reached; stops `factor ** attempt` reaching Infinity (and NaN). */
const MAX_EXPONENT = 30;

/**
 * The delay before retry number `attempt` (1-based: the wait after the first failure is
 * `attempt = 1`): `min(max, initial × factor^(attempt − 1))`, jittered, then at least `min`,
 * rounded to a whole unit. One formula for every retry loop (the JWKS cache, the service
 * token source, the revocation mirror's resync, auth's login delays), so their bounds are options, not arithmetic.
 *
 * @example
 * const delay = backoffDelay(failures, { initial: 200, max: 5_000, jitter: 'equal' });
 * await sleep(delay); // 100-200, 200-400, 400-800 … ms, never more than 5 s
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt) - 1), MAX_EXPONENT);
  const ceiling = Math.min(options.max, options.initial * (options.factor ?? 2) ** exponent);
  const random = options.random ?? Math.random;
  const jittered =
    options.jitter === 'full' ? ceiling * random() : options.jitter === 'equal' ? ceiling / 2 + (ceiling / 2) * random() : ceiling;
  return Math.round(Math.max(options.min ?? 0, jittered));
}
