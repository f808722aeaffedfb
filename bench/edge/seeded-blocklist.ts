/**
 * Where no auth runs (edge, memory), the bench plays auth's part for the blocklist: a verifier's
 * revocation mirror stays unready (503 `revocation_unavailable`) until auth has seeded Redis from
 * its ledger and written the generation marker. The bench's blocklist is empty, so it writes the
 * marker alone, if there is none (SET NX), and removes it afterwards only if it is still its own.
 */
import { RevocationKeyspace } from '@authmesh/revocation';
import { Redis } from 'ioredis';

/** Marks the (empty) blocklist of `redisUrl` seeded; resolves to its undo. */
export async function markBlocklistSeeded(redisUrl: string): Promise<() => Promise<void>> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const key = new RevocationKeyspace().generationKey;
  const generation = String(Date.now());
  const set = await redis.set(key, generation, 'NX');
  return async () => {
    try {
      if (set === 'OK' && (await redis.get(key)) === generation) await redis.del(key);
    } finally {
      redis.disconnect();
    }
  };
}
