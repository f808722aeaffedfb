import { backoffDelay } from '@authmesh/platform/core';
import { KeysUnavailableError, TokenRevokedError, TokenUnknownKeyError, quoteForLog } from '../errors.js';
import { parseCacheControl } from './cache-control.js';
import { DEFAULT_MAX_JWKS_BYTES, type JwksFetcher, httpJwksFetcher } from './http-jwks-fetcher.js';
import { importJwks } from './import-jwks.js';
import type { RsaVerificationKey } from './rsa-verification-key.js';

/** Why a fetch happened. */
export type JwksFetchReason = 'startup' | 'scheduled' | 'retry' | 'unknown_kid' | 'invalidate' | 'announcement';

/** How one JWKS fetch ended (the `result` label of the fetch metric). */
export type JwksFetchResult =
  'updated' | 'not_modified' | 'http_error' | 'network_error' | 'timeout' | 'invalid_json' | 'invalid_jwks' | 'no_usable_keys';

export const JWKS_FETCH_RESULTS: readonly JwksFetchResult[] = [
  'updated',
  'not_modified',
  'http_error',
  'network_error',
  'timeout',
  'invalid_json',
  'invalid_jwks',
  'no_usable_keys',
];

/** A snapshot for health checks, metrics and logs. */
export interface JwksStatus {
  /** Keys are loaded and younger than the staleness bound: tokens can be verified. */
  readonly usable: boolean;
  readonly kids: readonly string[];
  /** When the JWKS was last confirmed (200 or 304), ms since the epoch; undefined if never. */
  readonly lastSuccessAt: number | undefined;
  /** Seconds since `lastSuccessAt`; Infinity if never. */
  readonly ageSeconds: number;
  readonly lastResult: JwksFetchResult | undefined;
  readonly lastError: string | undefined;
  readonly consecutiveFailures: number;
}

/** Where the cache reports what it does; the defaults say nothing. */
export interface JwksCacheLogger {
  warn(message: string): void;
  info?(message: string): void;
}

export interface JwksCacheOptions {
  /** `{issuer}/.well-known/jwks.json` in our deployment. */
  readonly jwksUri: string;
  /** Replaces the HTTP fetcher (tests, benchmarks). */
  readonly fetcher?: JwksFetcher;
  /** Abort a fetch after this long (default 2 000 ms). */
  readonly fetchTimeoutMs?: number;
  /** An unknown kid refetches at most once per this window, shared by all callers (default 30 000 ms). */
  readonly cooldownMs?: number;
  /** Keys older than this are not used at all (default 24 h). */
  readonly maxStalenessMs?: number;
  /** Refresh interval when the response carries no max-age (default 5 min). */
  readonly defaultRefreshIntervalMs?: number;
  /** Lower and upper bounds on the max-age-driven refresh interval (defaults 1 s and 1 h). */
  readonly minRefreshIntervalMs?: number;
  readonly maxRefreshIntervalMs?: number;
  /** First retry delay after a failed fetch; doubles up to `cooldownMs` (default 1 000 ms). */
  readonly retryInitialDelayMs?: number;
  /**
   * After a key-set announcement, a refetch that comes back with the same kids (a 304 or the old
   * set from an auth replica that has not reloaded yet) is retried after this delay, doubling
   * (default 100 ms)…
   */
  readonly announcementRetryInitialMs?: number;
  /** …until this long after the announcement (default 5 000 ms). */
  readonly announcementRetryBudgetMs?: number;
  /** Largest JWKS body accepted (default 512 KiB). */
  readonly maxResponseBytes?: number;
  /** The clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  readonly logger?: JwksCacheLogger;
}

type Resolved = Required<Omit<JwksCacheOptions, 'fetcher' | 'logger'>> & Pick<JwksCacheOptions, 'logger'> & { fetcher: JwksFetcher };

function resolve(options: JwksCacheOptions): Resolved {
  const cooldownMs = options.cooldownMs ?? 30_000;
  return {
    jwksUri: options.jwksUri,
    fetcher: options.fetcher ?? httpJwksFetcher(options.jwksUri, options.maxResponseBytes ?? DEFAULT_MAX_JWKS_BYTES),
    fetchTimeoutMs: options.fetchTimeoutMs ?? 2_000,
    cooldownMs,
    maxStalenessMs: options.maxStalenessMs ?? 24 * 3600_000,
    defaultRefreshIntervalMs: options.defaultRefreshIntervalMs ?? 300_000,
    minRefreshIntervalMs: options.minRefreshIntervalMs ?? 1_000,
    maxRefreshIntervalMs: options.maxRefreshIntervalMs ?? 3600_000,
    retryInitialDelayMs: options.retryInitialDelayMs ?? 1_000,
    announcementRetryInitialMs: options.announcementRetryInitialMs ?? 100,
    announcementRetryBudgetMs: options.announcementRetryBudgetMs ?? 5_000,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_JWKS_BYTES,
    now: options.now ?? Date.now,
    logger: options.logger,
  };
}

/** Bound on remembered revoked kids (an emergency revocation is rare; this is only a memory cap). */
const MAX_REVOKED_KIDS = 1000;

const FAILED = new Set<JwksFetchResult>(['http_error', 'network_error', 'timeout', 'invalid_json', 'invalid_jwks', 'no_usable_keys']);

class FetchTimeout extends Error {}

/** State of `refreshNow`'s retries. */
interface AnnouncementFollowUp {
  /** Changes of the kid set still expected: one per announcement not yet seen in a response. */
  expected: number;
  /** The kid set when the follow-up started or last saw a change. */
  kids: string;
  /** No retry is started after this (ms since the epoch). */
  deadline: number;
  delayMs: number;
  fetches: number;
}

/**
 * The verifier's copy of the issuer's JWKS (docs/architecture.md, "Token verification in every service").
 *
 * - fetched at `start()`, then refreshed when the response's `max-age` runs out, revalidating
 *   with `If-None-Match`;
 * - a token with an unknown kid causes at most one refetch per cooldown, and every caller that
 *   arrives while it runs waits for that same fetch (single flight), so a flood of random kids
 *   cannot become a flood of fetches;
 * - when the issuer is unreachable or answers garbage, the last good keys stay in use for at most
 *   `maxStalenessMs`, retrying with exponential backoff, and `status()` reports it;
 * - `invalidate()` drops a key now and refetches (emergency key revocation);
 * - `refreshNow()` (a key-set announcement) refetches now and retries briefly while the kids come
 *   back unchanged (a lagging auth replica behind a load balancer), and lets the next unknown kid
 *   fetch through the cooldown once.
 *
 * Envoy, Istio and Spring users report 401 storms after rotations when caches don't refetch on an
 * unknown kid, fetch floods when they do without a cooldown, and hard failures when the JWKS
 * endpoint blips: each of the above answers one of those.
 *
 * @example
 * const jwks = new JwksCache({ jwksUri: 'https://auth.example/.well-known/jwks.json' });
 * await jwks.start(); // never throws; check jwks.status().usable
 * const key = jwks.getKey(kid, Date.now()) ?? (await jwks.resolveKey(kid));
 */
export class JwksCache {
  private readonly o: Resolved;
  private keys: ReadonlyMap<string, RsaVerificationKey> = new Map();
  private lastSuccessAt = Number.NEGATIVE_INFINITY;
  /** When an unknown kid last caused a fetch: only those count against the cooldown. */
  private lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY;
  /** A key-set announcement arrived since that fetch: the next unknown kid may fetch through the cooldown. */
  private announcedSinceUnknownKidFetch = false;
  /** The follow-up of key-set announcements still waiting for the kid set to change (see `refreshNow`). */
  private announcement: AnnouncementFollowUp | undefined;
  private announcementTimer: NodeJS.Timeout | undefined;
  /** A `refreshNow` was called in this tick (see there). */
  private announcedThisTick = false;
  /** Keys revoked in an emergency: never used again, even if a stale JWKS still lists them. */
  private readonly revokedKids = new Set<string>();
  private lastResult: JwksFetchResult | undefined;
  private lastError: string | undefined;
  private consecutiveFailures = 0;
  private etag: string | undefined;
  /** Refresh interval the last good response asked for (its max-age, bounded). */
  private nextRefreshMs = 0;
  private inflight: Promise<JwksFetchResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly fetchListeners: ((result: JwksFetchResult, reason: JwksFetchReason) => void)[] = [];
  private readonly removalListeners: ((kids: readonly string[]) => void)[] = [];

  constructor(options: JwksCacheOptions) {
    this.o = resolve(options);
  }

  /** Fetches the JWKS now and keeps it refreshed. Never throws: a failure is retried with backoff. */
  start(): Promise<JwksFetchResult> {
    this.stopped = false;
    return this.refresh('startup');
  }

  /** Stops refreshing (application shutdown). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.announcementTimer);
    this.announcementTimer = undefined;
    this.announcement = undefined;
  }

  /**
   * The hot path: the key for `kid` if it is cached and the JWKS is within its staleness bound.
   * `undefined` means "ask `resolveKey`".
   */
  getKey(kid: string, nowMs: number): RsaVerificationKey | undefined {
    if (nowMs - this.lastSuccessAt > this.o.maxStalenessMs) return undefined;
    return this.keys.get(kid);
  }

  /**
   * The slow path for a kid `getKey` did not find: joins the fetch in flight, or starts one if the
   * cooldown allows, then looks again. Throws `TokenUnknownKeyError` when a healthy JWKS does not
   * hold the kid, `KeysUnavailableError` when there is no usable JWKS or it cannot be refreshed.
   */
  async resolveKey(kid: string): Promise<RsaVerificationKey> {
    if (this.revokedKids.has(kid)) throw new TokenRevokedError(`kid ${quoteForLog(kid)} was revoked by the issuer`);
    if (this.inflight) await this.inflight;
    else if (this.announcedSinceUnknownKidFetch || this.o.now() - this.lastUnknownKidFetchAt >= this.o.cooldownMs) {
      // Only unknown-kid fetches count against the cooldown: a scheduled refresh a moment before a
      // `rotate --now` must not leave the new key unknown for a whole cooldown (401 storm). A
      // key-set announcement (auth, through Redis: no token can forge one) opens one fetch through
      // it: the announcement's own refetch may have been answered by an auth replica that had not
      // reloaded yet. A flood of made-up kids still gets one fetch per cooldown, plus one per
      // announcement.
      this.announcedSinceUnknownKidFetch = false;
      this.lastUnknownKidFetchAt = this.o.now();
      await this.refresh('unknown_kid');
    }
    const now = this.o.now();
    const key = this.getKey(kid, now);
    if (key) return key;
    if (!this.isUsable(now)) {
      throw new KeysUnavailableError(
        this.lastSuccessAt === Number.NEGATIVE_INFINITY
          ? `no JWKS loaded yet from ${this.o.jwksUri} (${this.lastError ?? 'not fetched yet'})`
          : `JWKS from ${this.o.jwksUri} is older than the ${this.o.maxStalenessMs / 1000}s staleness bound (${this.lastError ?? 'no error recorded'})`,
      );
    }
    // The kid may be a key published after our last good fetch: while the JWKS cannot be
    // refreshed we cannot tell an attacker's kid from a new key, so we say "unavailable".
    if (this.lastResult !== undefined && FAILED.has(this.lastResult)) {
      throw new KeysUnavailableError(`kid ${quoteForLog(kid)} is not cached and the JWKS cannot be refreshed (${this.lastError})`);
    }
    throw new TokenUnknownKeyError(`kid ${quoteForLog(kid)} is not in the JWKS`);
  }

  /**
   * Forces a refetch now, ignoring the cooldown and the ETag; with `kid`, that key is dropped
   * first, so tokens it signed fail at once instead of at the next refresh. A fetch already in
   * flight may carry the old document, so this waits for it and fetches again.
   */
  async invalidate(kid?: string): Promise<JwksFetchResult> {
    if (kid !== undefined && this.keys.has(kid)) {
      const next = new Map(this.keys);
      next.delete(kid);
      this.keys = next;
      this.emitRemoved([kid]);
    }
    this.etag = undefined;
    if (this.inflight) await this.inflight;
    return this.refresh('invalidate');
  }

  /**
   * Emergency key revocation (auth's announcement): the key is dropped now, tokens it signed fail
   * as revoked, and it is never used again even if a JWKS response (a cache, an auth instance that
   * has not reloaded yet) still lists it. Then the JWKS is refetched.
   */
  revokeKey(kid: string): void {
    if (this.revokedKids.size >= MAX_REVOKED_KIDS) this.revokedKids.delete(this.revokedKids.values().next().value!);
    this.revokedKids.add(kid);
    // A kid we never held (another issuer's, or already gone) needs no refetch: the deny entry is enough.
    if (this.keys.has(kid)) void this.invalidate(kid);
  }

  /**
   * The key set changed (a rotation was announced): refetch now, ignoring the cooldown, and again
   * while the kids come back unchanged, after `announcementRetryInitialMs` doubling, until
   * `announcementRetryBudgetMs`. Behind a load balancer the refetch can reach an auth replica
   * that reloads its keyring a few ms after the one that announced: its 304 (or old set) is not
   * the new key set. Seen on the topology: three `rotate --now` 3 s apart left profiles refusing
   * the newest key's tokens as `token_unknown_key` for a whole `JWKS_COOLDOWN_S`. An announcement
   * also lets the next unknown kid fetch through the cooldown (`resolveKey`).
   *
   * Announcements arriving during a follow-up each expect one more change of the kid set (two
   * rotations in a row must not stop at the first), and restart the budget and the backoff. Calls
   * in the same tick are one announcement: the gateway's edge has one cache under several
   * verifiers (one per audience), each subscribed, so one event reaches this once per verifier,
   * synchronously. (Two events in one stream batch are then one too; the unknown-kid pass covers
   * a second change the follow-up stopped before.)
   */
  refreshNow(): void {
    this.announcedSinceUnknownKidFetch = true;
    if (this.announcedThisTick) return;
    this.announcedThisTick = true;
    queueMicrotask(() => (this.announcedThisTick = false));
    const deadline = this.o.now() + this.o.announcementRetryBudgetMs;
    const running = this.announcement;
    if (running) {
      running.expected += 1;
      running.deadline = deadline;
      running.delayMs = this.o.announcementRetryInitialMs;
      // Waiting between retries: fetch now. A fetch in flight goes on; its result is checked.
      if (this.announcementTimer !== undefined) this.followAnnouncement(running);
      return;
    }
    const followUp: AnnouncementFollowUp = {
      expected: 1,
      kids: this.kidSet(),
      deadline,
      delayMs: this.o.announcementRetryInitialMs,
      fetches: 0,
    };
    this.announcement = followUp;
    this.followAnnouncement(followUp);
  }

  /** One step of the announcement follow-up: a fetch, then done or a retry later. Never rejects. */
  private followAnnouncement(followUp: AnnouncementFollowUp): void {
    clearTimeout(this.announcementTimer);
    this.announcementTimer = undefined;
    // A fetch already in flight may have been sent before auth changed: wait for it, then fetch.
    void (this.inflight ?? Promise.resolve())
      .then(() => this.refresh('announcement'))
      .then(() => {
        if (this.announcement !== followUp) return; // stopped
        followUp.fetches += 1;
        const kids = this.kidSet();
        if (kids !== followUp.kids) {
          followUp.kids = kids;
          followUp.expected -= 1;
        }
        if (followUp.expected <= 0) {
          this.announcement = undefined;
          return;
        }
        if (this.stopped) {
          // Not started (a cache driven by hand) or shutting down: the one refetch, no timers.
          this.announcement = undefined;
          return;
        }
        if (this.o.now() + followUp.delayMs > followUp.deadline) {
          this.announcement = undefined;
          // Benign when a scheduled or unknown-kid fetch had already brought the new set.
          this.o.logger?.info?.(
            `JWKS from ${this.o.jwksUri} still lists the same kids ${followUp.fetches} fetch(es) after a key-set announcement; ` +
              'the next unknown kid refetches through the cooldown',
          );
          return;
        }
        this.announcementTimer = setTimeout(() => this.followAnnouncement(followUp), followUp.delayMs);
        this.announcementTimer.unref();
        followUp.delayMs *= 2;
      });
  }

  /** The cached kids as one comparable value (off the hot path: announcements only). */
  private kidSet(): string {
    return [...this.keys.keys()].sort().join(' ');
  }

  /** One fetch, shared by everyone who asks while it runs. Never rejects. */
  refresh(reason: JwksFetchReason): Promise<JwksFetchResult> {
    if (this.inflight) return this.inflight;
    const attempt = this.fetchOnce(reason).then((result) => {
      this.inflight = undefined;
      this.scheduleNext(result);
      for (const listener of this.fetchListeners) listener(result, reason);
      return result;
    });
    // Set before any await: every concurrent caller sees this one promise (single flight).
    this.inflight = attempt;
    return attempt;
  }

  /** Called after every fetch (metrics). */
  onFetch(listener: (result: JwksFetchResult, reason: JwksFetchReason) => void): void {
    this.fetchListeners.push(listener);
  }

  /** Called when kids disappear from the cache (the verified-token cache drops what they signed). */
  onKeysRemoved(listener: (kids: readonly string[]) => void): void {
    this.removalListeners.push(listener);
  }

  status(nowMs = this.o.now()): JwksStatus {
    const never = this.lastSuccessAt === Number.NEGATIVE_INFINITY;
    return {
      usable: this.isUsable(nowMs),
      kids: [...this.keys.keys()],
      lastSuccessAt: never ? undefined : this.lastSuccessAt,
      ageSeconds: never ? Number.POSITIVE_INFINITY : Math.max(0, (nowMs - this.lastSuccessAt) / 1000),
      lastResult: this.lastResult,
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  private isUsable(nowMs: number): boolean {
    return this.keys.size > 0 && nowMs - this.lastSuccessAt <= this.o.maxStalenessMs;
  }

  private async fetchOnce(reason: JwksFetchReason): Promise<JwksFetchResult> {
    let result: JwksFetchResult;
    let error: string | undefined;
    try {
      const response = await this.withTimeout((signal) => this.o.fetcher({ etag: this.keys.size > 0 ? this.etag : undefined, signal }));
      const freshness = parseCacheControl(response.cacheControl);
      if (response.status === 304 && this.keys.size > 0) {
        result = 'not_modified';
        this.markSuccess(freshness, response.etag ?? this.etag);
      } else if (response.status !== 200) {
        result = 'http_error';
        error = `HTTP ${response.status}`;
      } else {
        ({ result, error } = await this.install(response.body, freshness, response.etag));
      }
    } catch (e) {
      result = e instanceof FetchTimeout ? 'timeout' : 'network_error';
      error = e instanceof FetchTimeout ? `no answer within ${this.o.fetchTimeoutMs} ms` : describe(e);
    }
    this.lastResult = result;
    if (FAILED.has(result)) {
      this.consecutiveFailures += 1;
      this.lastError = error;
      const keeping =
        this.keys.size > 0
          ? `keeping ${this.keys.size} cached key(s) from ${Math.round((this.o.now() - this.lastSuccessAt) / 1000)}s ago`
          : 'no keys yet';
      this.o.logger?.warn(`JWKS fetch (${reason}) from ${this.o.jwksUri} failed: ${result}: ${error}; ${keeping}`);
    } else {
      this.consecutiveFailures = 0;
      this.lastError = undefined;
    }
    return result;
  }

  private async install(
    body: string,
    freshness: ReturnType<typeof parseCacheControl>,
    etag: string | undefined,
  ): Promise<{ result: JwksFetchResult; error?: string }> {
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      return { result: 'invalid_json', error: 'response body is not JSON' };
    }
    let imported: Awaited<ReturnType<typeof importJwks>>;
    try {
      imported = await importJwks(document);
    } catch (e) {
      return { result: 'invalid_jwks', error: describe(e) };
    }
    if (imported.ignored.length > 0) this.o.logger?.warn(`JWKS from ${this.o.jwksUri}: ignored ${imported.ignored.join('; ')}`);
    // An issuer always publishes its active key. A document with no key we can use is a broken
    // publisher, not a revocation of every key: keep the last good keys (emergency revocation of a
    // key goes through invalidate(kid), not through an empty JWKS).
    const keys = new Map(imported.keys);
    for (const kid of this.revokedKids) keys.delete(kid);
    if (keys.size === 0) return { result: 'no_usable_keys', error: 'JWKS holds no usable RS256 key' };
    const removed = [...this.keys.keys()].filter((kid) => !keys.has(kid));
    this.keys = keys;
    this.markSuccess(freshness, etag);
    if (removed.length > 0) this.emitRemoved(removed);
    return { result: 'updated' };
  }

  private markSuccess(freshness: ReturnType<typeof parseCacheControl>, etag: string | undefined): void {
    this.lastSuccessAt = this.o.now();
    this.etag = etag;
    this.nextRefreshMs =
      freshness.kind === 'max-age'
        ? clamp(freshness.seconds * 1000, this.o.minRefreshIntervalMs, this.o.maxRefreshIntervalMs)
        : freshness.kind === 'no-cache'
          ? this.o.minRefreshIntervalMs
          : this.o.defaultRefreshIntervalMs;
  }

  private scheduleNext(result: JwksFetchResult): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    let delay: number;
    let reason: JwksFetchReason;
    if (FAILED.has(result)) {
      // Exponential backoff with jitter (so a fleet doesn't retry in lockstep when auth comes
      // back), never more often than the first delay nor less often than once per cooldown.
      delay = backoffDelay(this.consecutiveFailures, {
        initial: this.o.retryInitialDelayMs,
        max: this.o.cooldownMs,
        jitter: 'equal',
        min: this.o.retryInitialDelayMs,
      });
      reason = 'retry';
    } else {
      delay = this.nextRefreshMs;
      reason = 'scheduled';
    }
    this.timer = setTimeout(() => void this.refresh(reason), delay);
    this.timer.unref();
  }

  private withTimeout<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new FetchTimeout());
      }, this.o.fetchTimeoutMs);
      timer.unref();
    });
    return Promise.race([run(controller.signal), timeout]).finally(() => clearTimeout(timer));
  }

  private emitRemoved(kids: readonly string[]): void {
    for (const listener of this.removalListeners) listener(kids);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}
