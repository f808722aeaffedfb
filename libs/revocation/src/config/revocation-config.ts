import { EnvReader, type EnvTable, envSchemas, envVar } from '@authmesh/platform';
import { z } from 'zod';

/** What a verifier does once its revocation data is older than the staleness bound. */
export type RevocationOutagePolicy = 'reject' | 'accept';

/** A verifier's revocation settings; read from the environment once, at start-up. */
export interface RevocationConfig {
  /**
   * REVOCATION_MAX_STALENESS_S (default 30): how long the verifier keeps accepting tokens on
   * revocation data it cannot refresh (Redis unreachable), counted from the last moment the data
   * was known complete.
   */
  readonly maxStalenessSeconds: number;
  /**
   * REVOCATION_OUTAGE_POLICY (default `reject`): past the bound, `reject` answers 503
   * `revocation_unavailable` (fail closed); `accept` keeps accepting valid tokens without knowing
   * whether they were revoked (fail open, logged as an error every 10 s and counted in metrics).
   */
  readonly outagePolicy: RevocationOutagePolicy;
}

const policy = z.enum(['reject', 'accept'], 'must be reject or accept');

/** The revocation variables, read by every app that checks revocation. */
export const REVOCATION_ENV = {
  maxStalenessSeconds: envVar.withDefault('REVOCATION_MAX_STALENESS_S', envSchemas.int(1, 86_400), '30', {
    description: 'How long tokens are still accepted on revocation data that cannot be refreshed (Redis unreachable).',
  }),
  outagePolicy: envVar.withDefault('REVOCATION_OUTAGE_POLICY', policy, 'reject', {
    description:
      'Past that bound: `reject` answers 503 `revocation_unavailable` (fail closed), `accept` keeps accepting (fail open, logged).',
  }),
} satisfies EnvTable;

/**
 * Reads the revocation variables with the app's reader (problems are reported with the app's
 * other variables, all at once); `undefined` when one of them has a problem.
 *
 * @example
 * const reader = new EnvReader(env);
 * const base = readBaseConfig('orders', reader, env);
 * const revocation = readRevocationConfig(reader);
 * const config = reader.finish('orders', { base, revocation });
 */
export function readRevocationConfig(reader: EnvReader): RevocationConfig | undefined {
  return reader.read(REVOCATION_ENV);
}

/**
 * The revocation configuration of a service outside this repository, from its environment
 * (REVOCATION_MAX_STALENESS_S, REVOCATION_OUTAGE_POLICY…); throws a ConfigError naming every bad variable.
 *
 * @example
 * RevocationModule.forVerifier({ ...revocationConfigFrom(process.env), clockToleranceSeconds: verifier.clockToleranceSeconds })
 */
export function revocationConfigFrom(env: Readonly<Record<string, string | undefined>>, app = 'service'): RevocationConfig {
  const reader = new EnvReader(env);
  const revocation = readRevocationConfig(reader);
  return reader.finish(app, { revocation }).revocation;
}
