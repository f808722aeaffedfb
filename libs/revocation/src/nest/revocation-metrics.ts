import type { MetricsService } from '@authmesh/platform';
import { Counter, Gauge } from 'prom-client';
import { REVOCATION_CHECK_OUTCOMES, type RevocationCheckOutcome } from '../core/mirror-revocation-checker.js';
import type { RevocationFeedObserver } from '../core/revocation-feed.js';
import type { RevocationMirror } from '../core/revocation-mirror.js';

/**
 * The verifier's revocation metrics, on the app's own registry:
 * - `revocation_checks_total{outcome}`: ok, revoked_token, revoked_subject, stale_rejected, stale_accepted
 * - `revocation_mirror_entries{kind}`: jti / sub entries held locally
 * - `revocation_data_staleness_seconds`: seconds since the revocation data was last known fresh (+Inf: never)
 * - `revocation_mirror_syncs_total{result}`, `revocation_events_received_total`
 * - `revocation_mirror_catchups_total{mode=resume|full}` and `revocation_mirror_catchup_events_total{mode}`:
 *   how each (re)connect caught up and how many events it read (resume: what it missed; full: the stream)
 * - `revocation_stream_regressions_total`: reconnects that found Redis's stream behind the mirror (Redis lost events)
 * - `revocation_mirror_awaiting_seed`: 1 while the feed waits for auth to (re-)seed the blocklist, else 0
 * Counting a check on the hot path is one increment of a plain number.
 */
export class RevocationMetrics {
  readonly record: (outcome: RevocationCheckOutcome) => void;
  readonly observer: RevocationFeedObserver;

  constructor(metrics: MetricsService, mirror: RevocationMirror) {
    const registers = [metrics.registry];
    // The hot path only bumps a plain number (a labelled prom-client inc() hashes the labels and
    // allocates on every call); the counter reads the totals when scraped.
    const counts = Object.fromEntries(REVOCATION_CHECK_OUTCOMES.map((outcome) => [outcome, 0])) as Record<RevocationCheckOutcome, number>;
    this.record = (outcome) => {
      counts[outcome]++;
    };
    const checks = new Counter({
      name: 'revocation_checks_total',
      help: 'Revocation checks of verified tokens, by outcome',
      labelNames: ['outcome'],
      registers,
      collect() {
        checks.reset();
        for (const outcome of REVOCATION_CHECK_OUTCOMES) checks.inc({ outcome }, counts[outcome]);
      },
    });

    const syncs = new Counter({
      name: 'revocation_mirror_syncs_total',
      help: 'Catch-ups of the revocation mirror after a (re)connect or re-read (ok), and failed reads (error)',
      labelNames: ['result'],
      registers,
    });
    const events = new Counter({ name: 'revocation_events_received_total', help: 'Revocation events read from the stream', registers });
    const catchUps = new Counter({
      name: 'revocation_mirror_catchups_total',
      help: 'Times the revocation mirror caught up, by mode (resume: from its last stream id; full: the whole stream)',
      labelNames: ['mode'],
      registers,
    });
    const catchUpEvents = new Counter({
      name: 'revocation_mirror_catchup_events_total',
      help: 'Events read while catching up, by mode',
      labelNames: ['mode'],
      registers,
    });
    const regressions = new Counter({
      name: 'revocation_stream_regressions_total',
      help: "Reconnects that found Redis's revocation stream behind the mirror's position (Redis lost events; read in full)",
      registers,
    });
    const ok = syncs.labels({ result: 'ok' });
    const failed = syncs.labels({ result: 'error' });
    const awaitingSeed = new Gauge({
      name: 'revocation_mirror_awaiting_seed',
      help: 'Whether the revocation mirror waits for auth to (re-)seed the blocklist before it may be complete (1) or not (0)',
      registers,
    });
    awaitingSeed.set(0);
    this.observer = {
      synced: () => ok.inc(),
      syncFailed: () => failed.inc(),
      eventReceived: () => events.inc(),
      caughtUp: (mode, n) => {
        catchUps.inc({ mode });
        catchUpEvents.inc({ mode }, n);
      },
      regression: () => regressions.inc(),
      awaitingSeed: (waiting) => awaitingSeed.set(waiting ? 1 : 0),
    };

    const entries = new Gauge({
      name: 'revocation_mirror_entries',
      help: 'Revocations held in the local mirror, by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const size = mirror.size;
        entries.set({ kind: 'jti' }, size.jti);
        entries.set({ kind: 'sub' }, size.sub);
      },
    });
    new Gauge({
      name: 'revocation_data_staleness_seconds',
      help: 'Seconds since the revocation data was last known fresh (+Inf if never)',
      registers,
      collect() {
        this.set(mirror.stalenessMs() / 1000);
      },
    });
  }
}
