import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { type TestApp, waitFor } from '@authmesh/testing';
import type { AuthConfig } from '../src/config/auth.config.js';
import { RevocationOutbox } from '../src/revocation/revocation-outbox.service.js';
import { SessionRevoker } from '../src/revocation/session-revoker.service.js';
import { GATEWAY_CLIENT, MULTI_CLIENT, ORDERS_CLIENT, newAuthApp } from './auth-fixture.js';

// The races the exchanged-token links must not lose, played out on auth's real Postgres: a
// revocation (or a client disable) that commits while an exchange is linking its new token.
describe('auth: linking an exchanged token to its subject token orders itself with concurrent revocations', () => {
  let app: TestApp<AuthConfig>;
  let db: DataSource;
  let revoker: SessionRevoker;
  let outbox: RevocationOutbox;

  beforeAll(async () => {
    app = await newAuthApp({ AUTH_SEED_CLIENTS: JSON.stringify([ORDERS_CLIENT, MULTI_CLIENT, GATEWAY_CLIENT]) });
    db = app.app.get(DataSource);
    revoker = app.app.get(SessionRevoker);
    outbox = app.app.get(RevocationOutbox);
    // No replay timer: nothing delivers (and deletes) an outbox row behind the tests' back.
    outbox.onApplicationShutdown();
  });
  afterAll(async () => {
    await app?.close();
  });

  const jti = (): string => randomBytes(16).toString('base64url');
  const inFiveMinutes = (): Date => new Date(Date.now() + 5 * 60_000);
  /** Whether a session of this test's database waits for a lock of this kind (the link, blocked by the open transaction). */
  const someoneWaitsFor = async (waitEvent: 'advisory' | 'transactionid'): Promise<boolean> =>
    (
      (await db.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1`,
        [waitEvent],
      )) as unknown[]
    ).length > 0;

  it('an exchange linking while its subject token is being revoked waits for the commit, then is refused', async () => {
    const subjectJti = jti();
    const expiresAt = inFiveMinutes();
    const revocation = db.createQueryRunner();
    await revocation.connect();
    try {
      await revocation.startTransaction();
      await outbox.record(revocation.manager, [{ kind: 'jti', jti: subjectJti, expiresAtMs: expiresAt.getTime() }]);
      const link = revoker.linkExchangedToken({ jti: jti(), subjectJti, clientId: GATEWAY_CLIENT.clientId, expiresAt });
      await waitFor(() => someoneWaitsFor('advisory'), 3000, 10);
      await revocation.commitTransaction();
      // Still in the outbox (nothing delivered it): found there. Had it been delivered, the grant's
      // read of the revocation store after the link would refuse the exchange instead.
      expect(await link).toBe('subject_revoked');
    } finally {
      await revocation.release();
    }
  });

  it('a link committed before the revocation looks is revoked with its subject token', async () => {
    const subjectJti = jti();
    const exchangedJti = jti();
    const expiresAt = inFiveMinutes();
    expect(await revoker.linkExchangedToken({ jti: exchangedJti, subjectJti, clientId: GATEWAY_CLIENT.clientId, expiresAt })).toBe(
      'linked',
    );
    const revocation = db.createQueryRunner();
    await revocation.connect();
    try {
      await revocation.startTransaction();
      await outbox.record(revocation.manager, [{ kind: 'jti', jti: subjectJti, expiresAtMs: expiresAt.getTime() }]);
      const recorded = (await revocation.query(`SELECT event->>'jti' AS jti FROM revocation_outbox WHERE event->>'kind' = 'jti'`)) as {
        jti: string;
      }[];
      expect(recorded.map((r) => r.jti)).toEqual(expect.arrayContaining([subjectJti, exchangedJti]));
      await revocation.rollbackTransaction();
    } finally {
      await revocation.release();
    }
  });

  it('an exchange linking while its client is being disabled waits for the commit, then is refused as invalid_client', async () => {
    const clientId = GATEWAY_CLIENT.clientId;
    const disable = db.createQueryRunner();
    await disable.connect();
    try {
      await disable.startTransaction();
      await disable.query('UPDATE clients SET enabled = false WHERE client_id = $1', [clientId]);
      const link = revoker.linkExchangedToken({ jti: jti(), subjectJti: jti(), clientId, expiresAt: inFiveMinutes() });
      // The link's FOR SHARE waits on the disabling transaction's row lock.
      await waitFor(() => someoneWaitsFor('transactionid'), 3000, 10);
      await disable.commitTransaction();
      expect(await link).toBe('client_disabled');
    } finally {
      await disable.release();
    }
  });
  it('purges links an hour after their token expired, at most once a minute, and keeps younger ones', async () => {
    // A `now` ahead of the clock: the purge's once-a-minute gate has surely not run for it yet.
    const now = new Date(Date.now() + 10 * 60_000);
    const old = { jti: jti(), subjectJti: jti(), clientId: ORDERS_CLIENT.clientId, expiresAt: new Date(now.getTime() - 61 * 60_000) };
    const recent = { ...old, jti: jti(), expiresAt: new Date(now.getTime() - 59 * 60_000) };
    expect(await revoker.linkExchangedToken(old)).toBe('linked');
    expect(await revoker.linkExchangedToken(recent)).toBe('linked');
    expect(await outbox.purgeExpiredLinks(now)).toBeGreaterThanOrEqual(1);
    const left = (await db.query('SELECT jti FROM exchanged_tokens WHERE jti = ANY($1::text[])', [[old.jti, recent.jti]])) as {
      jti: string;
    }[];
    expect(left.map((r) => r.jti)).toEqual([recent.jti]);
    expect(await outbox.purgeExpiredLinks(new Date(now.getTime() + 30_000))).toBe(0);
  });
});
