import { InjectConfig, MetricsService } from '@authmesh/platform';
import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { AuthConfig } from '../config/auth.config.js';
import type { SigningKeyState } from './signing-key.entity.js';
import { KeyLifecycle } from './key-lifecycle.service.js';

const STATES: readonly SigningKeyState[] = ['pending', 'active', 'retiring', 'retired', 'revoked'];

/**
 * Signing-key gauges for the dashboard and the "rotation overdue" alert, read from the key table
 * at scrape time (one small query per scrape; the table holds a handful of rows per rotation):
 *
 * - `signing_keys{state}`: keys per state; exactly one `active` is the invariant.
 * - `signing_key_next_rotation_seconds`: seconds until the scheduler starts the next planned
 *   rotation (active key's activation + AUTH_KEY_ROTATION_DAYS); negative when overdue, absent when
 *   rotation is manual (AUTH_KEY_ROTATION_DAYS=0) or a rotation is already pending.
 */
@Injectable()
export class KeyMetrics {
  constructor(metrics: MetricsService, lifecycle: KeyLifecycle, @InjectConfig() config: AuthConfig) {
    const registers = [metrics.registry];
    const days = config.auth.keys.rotationDays;
    // One query serves both gauges of a scrape.
    let read: Promise<void> | undefined;
    const refresh = (): Promise<void> =>
      (read ??= lifecycle
        .list()
        .then((all) => {
          for (const state of STATES) keys.set({ state }, all.filter((k) => k.state === state).length);
          const active = all.find((k) => k.state === 'active');
          const since = active?.activatedAt ?? active?.createdAt;
          next.reset();
          if (days > 0 && since && !all.some((k) => k.state === 'pending'))
            next.set((since.getTime() + days * 86_400_000 - Date.now()) / 1000);
        })
        .catch(() => undefined) // the database is down: the scrape keeps the last values
        .finally(() => setTimeout(() => (read = undefined), 1000).unref()));
    const keys = new Gauge({
      name: 'signing_keys',
      help: 'Signing keys per lifecycle state',
      labelNames: ['state'],
      registers,
      collect: refresh,
    });
    const next = new Gauge({
      name: 'signing_key_next_rotation_seconds',
      help: 'Seconds until the next planned rotation starts (negative: overdue); absent with AUTH_KEY_ROTATION_DAYS=0 or a rotation pending',
      registers,
      collect: refresh,
    });
  }
}
