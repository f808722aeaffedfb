import type { Provider } from '@nestjs/common';
import { RedisConnection } from '@authmesh/platform';
import { createRevocationStore } from '@authmesh/revocation';
import type { AuthConfig } from '../config/auth.config.js';

/** Injection token of auth's RevocationStore. */
export const REVOCATION_STORE = Symbol('REVOCATION_STORE');

export function revocationStoreProvider(config: AuthConfig): Provider {
  return {
    provide: REVOCATION_STORE,
    useFactory: (redis: RedisConnection) =>
      createRevocationStore(redis, {
        clockToleranceSeconds: config.auth.clockToleranceSeconds,
        maxTokenLifetimeSeconds: config.auth.accessTokenTtlSeconds,
      }),
    inject: [RedisConnection],
  };
}
