import type { MetricsService } from '@authmesh/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import { DPOP_ERROR_CODES } from '../core/dpop/errors.js';
import { TOKEN_ERROR_CODES } from '../core/errors.js';
import { JWKS_FETCH_RESULTS, type JwksCache } from '../core/jwks/jwks-cache.js';
import type { TokenVerifier } from '../core/token-verifier.js';

type Outcome = 'ok' | (typeof TOKEN_ERROR_CODES)[number];

/**
 * The verifier's metrics, on the app's own registry: verifications by outcome, JWKS fetches by
 * result, seconds since the last good JWKS, cached keys, and verified-token cache hits/misses.
 * Label children are created once, so counting a verification on the hot path is one increment.
 */
export class VerifierMetrics {
  private readonly outcomes = new Map<string, { inc(): void }>();

  /** `jwks` is absent where keys come from elsewhere (auth verifies against its own keyring). */
  constructor(metrics: MetricsService, jwks: JwksCache | undefined, verifier: TokenVerifier) {
    const registers = [metrics.registry];
    const verifications = new Counter({
      name: 'token_verifications_total',
      help: 'Bearer token verifications, by outcome (ok or the error code)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['ok', ...TOKEN_ERROR_CODES, ...DPOP_ERROR_CODES] as Outcome[])
      this.outcomes.set(outcome, verifications.labels({ outcome }));

    if (jwks) this.jwksMetrics(registers, jwks);
    const cache = new Gauge({
      name: 'verified_token_cache_lookups',
      help: 'Verified-token cache lookups since start, by result (hit: no RSA work)',
      labelNames: ['result'],
      registers,
      collect() {
        cache.set({ result: 'hit' }, verifier.stats.cacheHits);
        cache.set({ result: 'miss' }, verifier.stats.cacheMisses);
      },
    });
  }

  private jwksMetrics(registers: Registry[], jwks: JwksCache): void {
    const fetches = new Counter({
      name: 'jwks_fetches_total',
      help: 'JWKS fetches, by result',
      labelNames: ['result', 'reason'],
      registers,
    });
    for (const result of JWKS_FETCH_RESULTS) fetches.labels({ result, reason: 'scheduled' });
    jwks.onFetch((result, reason) => fetches.inc({ result, reason }));

    new Gauge({
      name: 'jwks_seconds_since_last_success',
      help: 'Seconds since the JWKS was last fetched or revalidated successfully (+Inf if never)',
      registers,
      collect() {
        this.set(jwks.status().ageSeconds);
      },
    });
    new Gauge({
      name: 'jwks_usable',
      help: '1 when cached keys are loaded and within the staleness bound, else 0',
      registers,
      collect() {
        this.set(jwks.status().usable ? 1 : 0);
      },
    });
    new Gauge({
      name: 'jwks_keys',
      help: 'Verification keys currently cached',
      registers,
      collect() {
        this.set(jwks.status().kids.length);
      },
    });
  }

  /** Counts one verification outcome (`ok` or an error code). */
  record(outcome: string): void {
    this.outcomes.get(outcome)?.inc();
  }
}
