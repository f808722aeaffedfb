import { randomBytes, randomUUID } from 'node:crypto';
import { type RevocationEvent, RedisRevocationStore } from '@authmesh/revocation';
import { Redis } from 'ioredis';
import { GENERATION_KEY, REVOCATION_CHANNEL, RevocationKeyspace, SEED_CLAIM_PREFIX, SEED_CLAIM_TTL_MS } from './legacy-keyspace.js';

/** The clock tolerance and token lifetime auth runs with by default (s). */
export const CLOCK_TOLERANCE_S = 30;
export const MAX_TOKEN_LIFETIME_S = 3600;
/** Writes in flight at once while seeding the legacy layout (a pipeline per batch). */
const LEGACY_BATCH = 5000;
/** Events per `seedEntries` call, as auth's reseeder pages its ledger. */
const LEDGER_PAGE = 5000;

export type Design = 'legacy' | 'stream';

/**
 * M live revocations shaped like the real blocklist: nine in ten are access tokens (a UUID jti, its
 * `exp` spread over the next hour), one in ten a subject ("logout everywhere", revoked in the last
 * hour).
 */
export function liveEntries(m: number, nowMs = Date.now()): RevocationEvent[] {
  const events: RevocationEvent[] = [];
  for (let i = 0; i < m; i++) {
    const spread = Math.floor((i / m) * (MAX_TOKEN_LIFETIME_S - 120) * 1000);
    events.push(
      i % 10 === 9
        ? { kind: 'sub', sub: `user-${randomUUID()}`, revokedAtMs: nowMs - spread }
        : { kind: 'jti', jti: randomUUID(), expiresAtMs: nowMs + 60_000 + spread },
    );
  }
  return events;
}

/**
 * Writes `events` and the generation marker the way the design's writer does, on a connection of
 * its own. `announce` (a re-seed after Redis lost its data) claims the marker first and publishes
 * the `resync` announcement at the end, as auth's reseeder does; without it (the bench's initial
 * state) the marker is simply written.
 *
 * legacy: today's layout, `SET revoked:jti:<jti> <exp> PX <ttl>` (pipelined) + `revocation:generation`,
 *   the layout legacy-pubsub-scan-feed.ts reads whatever the library's layout is now.
 * stream: the library's own `RedisRevocationStore` seed API (beginSeed / seedEntries / markSeeded).
 */
export async function seed(design: Design, redis: Redis, events: readonly RevocationEvent[]): Promise<void> {
  if (design === 'stream') {
    const store = new RedisRevocationStore(redis, {
      clockToleranceSeconds: CLOCK_TOLERANCE_S,
      maxTokenLifetimeSeconds: MAX_TOKEN_LIFETIME_S,
      commandTimeoutMs: 30_000,
    });
    const token = await store.beginSeed();
    for (let i = 0; i < events.length; i += LEDGER_PAGE) await store.seedEntries(events.slice(i, i + LEDGER_PAGE));
    await store.markSeeded(Date.now(), token);
    return;
  }
  const keyspace = new RevocationKeyspace();
  const claim = `${SEED_CLAIM_PREFIX}${randomBytes(16).toString('hex')}`;
  await redis.set(GENERATION_KEY, claim, 'PX', SEED_CLAIM_TTL_MS);
  const nowMs = Date.now();
  for (let i = 0; i < events.length; i += LEGACY_BATCH) {
    const pipeline = redis.pipeline();
    for (const event of events.slice(i, i + LEGACY_BATCH)) {
      if (event.kind === 'jti') {
        pipeline.set(keyspace.jtiKey(event.jti), String(event.expiresAtMs), 'PX', event.expiresAtMs + CLOCK_TOLERANCE_S * 1000 - nowMs);
      } else if (event.kind === 'sub') {
        const ttl = event.revokedAtMs + (MAX_TOKEN_LIFETIME_S + CLOCK_TOLERANCE_S) * 1000 - nowMs;
        pipeline.set(keyspace.subKey(event.sub), String(event.revokedAtMs), 'PX', ttl);
      }
    }
    await pipeline.exec();
  }
  // Today's MARK_SEEDED: the marker's number replaces the claim, then the one `resync` message.
  const generation = Date.now();
  await redis
    .multi()
    .set(GENERATION_KEY, String(generation))
    .publish(REVOCATION_CHANNEL, JSON.stringify({ kind: 'resync', generation, atMs: generation }))
    .exec();
}
