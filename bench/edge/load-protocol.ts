/** Messages between a bench and its autocannon child (`autocannon-child.ts`). */

/** One run of load. */
export interface LoadJob {
  readonly url: string;
  readonly connections: number;
  /** autocannon's `duration`; a run with a long one is ended by `stop`. */
  readonly durationSeconds: number;
  /** With it, the run ends after this many requests instead (autocannon's `amount`). */
  readonly amount?: number;
  /** The first token set (see `LoadClient.setTokens`). */
  readonly tokens: readonly string[];
  /**
   * Instead of `tokens`: one header set per request, each sent once, in order (DPoP: every request
   * needs a proof of its own, made before the run so the run measures verification only). Set
   * `amount` to at most their number.
   */
  readonly headerSets?: readonly Readonly<Record<string, string>>[];
}

/** Responses to the tokens of one `kid`. */
export interface KidTally {
  ok: number;
  failed: number;
  statuses: Record<number, number>;
}

export interface LoadSummary {
  /** Responses received (any status). */
  readonly responses: number;
  readonly ok: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  /** autocannon's latency histogram, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** By `<phase>|<kid>`: the phase when the answer came, the kid of the token the request carried. */
  readonly byKid: Readonly<Record<string, KidTally>>;
  /** Requests the generator built (sent). */
  readonly generated: number;
}

export type LoadMessage =
  | { type: 'ready' }
  | { type: 'run'; job: LoadJob }
  | { type: 'tokens'; tokens: readonly string[] }
  /** Answers from now on are tallied under this phase (`run` at the start of each run). */
  | { type: 'phase'; name: string }
  | { type: 'stop' }
  | { type: 'exit' }
  | { type: 'done'; summary: LoadSummary }
  | { type: 'error'; message: string };
