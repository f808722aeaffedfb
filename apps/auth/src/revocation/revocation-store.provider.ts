import type { Provider } from '@nestjs/common';
import { MAX_ACCESS_TOKEN_LIFETIME_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS } from '@authmesh/contracts';
import { RedisConnection } from '@authmesh/platform';
import { createRevocationStore } from '@authmesh/revocation';

/** Injection token of auth's RevocationStore. */
export const REVOCATION_STORE = Symbol('REVOCATION_STORE');

export const revocationStoreProvider: Provider = {
  provide: REVOCATION_STORE,
  useFactory: (redis: RedisConnection) =>
    createRevocationStore(redis, {
      // Every verifier's tolerance, not auth's own: a service set more leniently must still find it.
      clockToleranceSeconds: MAX_CLOCK_TOLERANCE_SECONDS,
      // The hard cap, not today's TTL: tokens issued before a TTL change may live that long.
      maxTokenLifetimeSeconds: MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
    }),
  inject: [RedisConnection],
};
