import { RevocationKeyspace } from '@authmesh/revocation';
import { type AccessTokenClaims, type RevocationChecker, TokenRevokedError } from '@authmesh/token-verifier';
import type { RedisClient } from '@authmesh/platform';

/**
 * The alternative the mirror was measured against (bench only, not shipped): a per-request lookup
 * in Redis, EXISTS revoked:jti:<jti> and GET revoked:sub:<sub>, on a connection with ioredis's
 * `enableAutoPipelining` so concurrent requests share round trips. Always current, but every
 * authenticated request waits for Redis, and an outage policy would need its own staleness logic.
 */
export class LookupRevocationChecker implements RevocationChecker {
  private readonly keyspace = new RevocationKeyspace();

  constructor(private readonly client: RedisClient) {}

  async check(claims: AccessTokenClaims): Promise<void> {
    const [jti, sub] = await Promise.all([
      this.client.exists(this.keyspace.jtiKey(claims.jti)),
      this.client.get(this.keyspace.subKey(claims.sub)),
    ]);
    if (jti === 1) throw new TokenRevokedError('jti on the blocklist (lookup)');
    if (sub !== null && claims.iat * 1000 <= Number(sub)) throw new TokenRevokedError('subject revoked (lookup)');
  }
}
