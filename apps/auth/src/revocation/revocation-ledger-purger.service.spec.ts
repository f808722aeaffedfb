import { type RevocationEvent, entryExpiresAtMs } from '@authmesh/revocation';
import type { ExpiringLedger } from './revocation-ledger.repository.js';
import { type LedgerPurgeLimits, RevocationLedgerPurger } from './revocation-ledger-purger.service.js';

const TOLERANCE_S = 30;
const MAX_LIFETIME_S = 3600;
const LIFETIMES = { clockToleranceSeconds: TOLERANCE_S, maxTokenLifetimeSeconds: MAX_LIFETIME_S };
const T0 = Date.UTC(2026, 0, 1);

/** The ledger in memory: rows with the expiry auth's outbox gives them, deleted as the SQL does (oldest expiry first, at most `limit`). */
class MemoryLedger implements ExpiringLedger {
  readonly rows: { event: RevocationEvent; expiresAtMs: number | undefined }[] = [];
  statements = 0;

  record(event: RevocationEvent): void {
    this.rows.push({ event, expiresAtMs: entryExpiresAtMs(event, LIFETIMES) });
  }

  async purgeExpired(now: Date, limit: number): Promise<number> {
    this.statements++;
    const expired = this.rows
      .map((row, i) => ({ row, i }))
      .filter(({ row }) => row.expiresAtMs !== undefined && row.expiresAtMs < now.getTime())
      .sort((a, b) => a.row.expiresAtMs! - b.row.expiresAtMs!)
      .slice(0, limit);
    for (const { i } of expired.sort((a, b) => b.i - a.i)) this.rows.splice(i, 1);
    return expired.length;
  }
}

function purgerOver(ledger: MemoryLedger, clock: { now: number }, limits: LedgerPurgeLimits): RevocationLedgerPurger {
  return new RevocationLedgerPurger(ledger, { limits, now: () => clock.now });
}

describe('RevocationLedgerPurger', () => {
  it('keeps a jti row until exp plus the clock tolerance, then deletes it', async () => {
    const ledger = new MemoryLedger();
    const clock = { now: T0 };
    ledger.record({ kind: 'jti', jti: 'a', expiresAtMs: T0 + 300_000 });
    const purger = purgerOver(ledger, clock, { batchSize: 10, maxRowsPerTick: 10, intervalMs: 1000 });

    clock.now = T0 + 300_000 + TOLERANCE_S * 1000 - 1; // a verifier may still accept the token
    expect(await purger.tick()).toBe(0);
    expect(ledger.rows).toHaveLength(1);
    clock.now = T0 + 300_000 + TOLERANCE_S * 1000 + 1;
    expect(await purger.tick()).toBe(1);
    expect(ledger.rows).toHaveLength(0);
  });

  it('keeps subject and signing-key rows for the longest token lifetime plus tolerance after the revocation', async () => {
    const ledger = new MemoryLedger();
    const clock = { now: T0 };
    ledger.record({ kind: 'sub', sub: 'user-1', revokedAtMs: T0 });
    ledger.record({ kind: 'kid', kid: 'k1', revokedAtMs: T0 });
    const purger = purgerOver(ledger, clock, { batchSize: 10, maxRowsPerTick: 10, intervalMs: 1000 });

    clock.now = T0 + (MAX_LIFETIME_S + TOLERANCE_S) * 1000 - 1;
    expect(await purger.tick()).toBe(0);
    clock.now = T0 + (MAX_LIFETIME_S + TOLERANCE_S) * 1000 + 1;
    expect(await purger.tick()).toBe(2);
    expect(ledger.rows).toHaveLength(0);
  });

  it('deletes at most maxRowsPerTick rows per tick, in statements of at most batchSize, and drains a backlog over ticks', async () => {
    const ledger = new MemoryLedger();
    const clock = { now: T0 };
    for (let i = 0; i < 25; i++) ledger.record({ kind: 'jti', jti: `j${i}`, expiresAtMs: T0 + i });
    const purger = purgerOver(ledger, clock, { batchSize: 4, maxRowsPerTick: 10, intervalMs: 1000 });
    clock.now = T0 + 86_400_000;

    expect(await purger.tick()).toBe(10);
    expect(ledger.statements).toBe(3); // 4 + 4 + 2
    expect(await purger.tick()).toBe(10);
    expect(await purger.tick()).toBe(5);
    expect(await purger.tick()).toBe(0);
    expect(ledger.rows).toHaveLength(0);
  });

  it('holds the ledger to about one row per live revocation under a steady revocation rate', async () => {
    // 10 revocations a second for six simulated hours, tokens of 15 minutes, a subject revocation
    // every tenth; the purge ticks every 5 s.
    const ledger = new MemoryLedger();
    const clock = { now: T0 };
    const limits = { batchSize: 1000, maxRowsPerTick: 10_000, intervalMs: 5000 };
    const purger = purgerOver(ledger, clock, limits);
    let largest = 0;
    let n = 0;
    for (let t = 0; t < 6 * 3600 * 1000; t += limits.intervalMs) {
      clock.now = T0 + t;
      for (let i = 0; i < 50; i++, n++) {
        ledger.record(
          n % 10 === 0
            ? { kind: 'sub', sub: `user-${n}`, revokedAtMs: clock.now }
            : { kind: 'jti', jti: `j${n}`, expiresAtMs: clock.now + 900_000 },
        );
      }
      await purger.tick();
      largest = Math.max(largest, ledger.rows.length);
    }
    // Live at any instant: jti rows for 15 min + 30 s, sub rows for 1 h + 30 s, plus one tick's arrivals.
    const bound = 9 * (900 + TOLERANCE_S) + 1 * (MAX_LIFETIME_S + TOLERANCE_S) + 50;
    expect(largest).toBeLessThanOrEqual(bound);
    expect(ledger.rows.length).toBeLessThanOrEqual(bound);
    expect(n).toBe(6 * 3600 * 10);
  });

  it('gives announcements no ledger life (they are deleted on delivery, never by age)', () => {
    expect(entryExpiresAtMs({ kind: 'keyset', issuer: 'https://auth.test', changedAtMs: T0 }, LIFETIMES)).toBeUndefined();
    expect(entryExpiresAtMs({ kind: 'resync', generation: T0, atMs: T0 }, LIFETIMES)).toBeUndefined();
  });
});
