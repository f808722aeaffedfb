import { type EntityManager, LessThan } from 'typeorm';
import type { RevocationEvent } from '@authmesh/revocation';
import { ClientEntity } from '../clients/client.entity.js';
import { ExchangedTokenEntity } from './exchanged-token.entity.js';
import { ledgerHasJti } from './revocation-ledger.repository.js';

/** A token the exchange grant issued, and the subject token it was exchanged from. */
export interface ExchangedTokenLink {
  jti: string;
  subjectJti: string;
  clientId: string;
  expiresAt: Date;
}

/**
 * What linking found: `linked`, or a reason the token must not be handed out — the subject token's
 * revocation is already committed (in the revocation ledger), or the exchanging client was disabled.
 */
export type LinkOutcome = 'linked' | 'subject_revoked' | 'client_disabled';

/**
 * An exchange and a revocation of its subject token can run at the same time: the revocation's
 * lookup of "what was exchanged from this jti" must either see the new row, or the exchange must
 * see the revocation. Postgres advisory locks order them (two-int form: a key space apart from the
 * keyring's single-bigint lock). Revocations take them SHARED (they never wait for each other, so
 * they can't deadlock), an exchange takes one EXCLUSIVE. The jti is hashed into 64 buckets so a
 * revocation of thousands of tokens (a disabled client) holds at most 64 locks: the lock table is
 * shared memory, sized for ~64 locks per transaction. A collision only makes an exchange wait for
 * an unrelated revocation's commit (milliseconds).
 */
const LOCK_NAMESPACE = 8693; // RFC 8693
const LOCK_BUCKETS_MASK = 63;

const LOCK_SUBJECTS_SHARED = `SELECT pg_advisory_xact_lock_shared($1, b)
  FROM (SELECT DISTINCT hashtext(j) & ${LOCK_BUCKETS_MASK} AS b FROM unnest($2::text[]) AS j) AS buckets`;
const LOCK_SUBJECT_EXCLUSIVE = `SELECT pg_advisory_xact_lock($1, hashtext($2) & ${LOCK_BUCKETS_MASK})`;

const jtiEvent = (jti: string, expiresAt: Date): RevocationEvent => ({ kind: 'jti', jti, expiresAtMs: expiresAt.getTime() });

/**
 * Writes the link for a freshly issued exchanged token, in `tx`, before the token is handed out.
 * Under the client's row lock (FOR SHARE: a concurrent disable either committed before, and is seen
 * here, or waits for this transaction and then sees the row) and the subject's exclusive lock (a
 * concurrent revocation of the subject either committed before, and its event is found in the
 * ledger, or waits and then sees the row). A revocation whose ledger row was purged is past its
 * entry's life, and the caller also reads the store after this commits.
 */
export async function linkExchangedToken(tx: EntityManager, link: ExchangedTokenLink): Promise<LinkOutcome> {
  const client = await tx.findOne(ClientEntity, {
    where: { clientId: link.clientId },
    select: { clientId: true, enabled: true },
    lock: { mode: 'pessimistic_read' },
  });
  if (!client?.enabled) return 'client_disabled';
  await tx.query(LOCK_SUBJECT_EXCLUSIVE, [LOCK_NAMESPACE, link.subjectJti]);
  if (await ledgerHasJti(tx, link.subjectJti)) return 'subject_revoked';
  await tx.insert(ExchangedTokenEntity, link);
  return 'linked';
}

/**
 * `events` plus a jti revocation for every token exchanged from a revoked jti, transitively (an
 * exchanged token can be a subject token in turn), that verifiers may still accept: not expired
 * before `acceptedAfter` (now minus their clock tolerance). One lock and one indexed query per
 * generation; nothing at all when `events` revoke no jti.
 */
export async function withExchangedTokens(tx: EntityManager, events: RevocationEvent[], acceptedAfter: Date): Promise<RevocationEvent[]> {
  const seen = new Set<string>();
  for (const e of events) if (e.kind === 'jti') seen.add(e.jti);
  const added: RevocationEvent[] = [];
  let generation = [...seen];
  while (generation.length) {
    await tx.query(LOCK_SUBJECTS_SHARED, [LOCK_NAMESPACE, generation]);
    // A statement of its own, after the lock: under READ COMMITTED it sees every link committed before the lock was granted.
    const rows = (await tx.query('SELECT jti, expires_at FROM exchanged_tokens WHERE subject_jti = ANY($1::text[]) AND expires_at > $2', [
      generation,
      acceptedAfter,
    ])) as { jti: string; expires_at: Date }[];
    generation = [];
    for (const row of rows) {
      if (seen.has(row.jti)) continue;
      seen.add(row.jti);
      generation.push(row.jti);
      added.push(jtiEvent(row.jti, new Date(row.expires_at)));
    }
  }
  return added.length ? [...events, ...added] : events;
}

/** A jti revocation for every token `clientId` obtained by exchange that verifiers may still accept. */
export async function exchangedByClient(tx: EntityManager, clientId: string, acceptedAfter: Date): Promise<RevocationEvent[]> {
  const rows = (await tx.query('SELECT jti, expires_at FROM exchanged_tokens WHERE client_id = $1 AND expires_at > $2', [
    clientId,
    acceptedAfter,
  ])) as { jti: string; expires_at: Date }[];
  return rows.map((row) => jtiEvent(row.jti, new Date(row.expires_at)));
}

/** Deletes links of tokens that expired more than `graceMs` ago; returns how many. */
export async function purgeExpiredLinks(tx: EntityManager, now: Date, graceMs: number): Promise<number> {
  const result = await tx.delete(ExchangedTokenEntity, { expiresAt: LessThan(new Date(now.getTime() - graceMs)) });
  return result.affected ?? 0;
}
