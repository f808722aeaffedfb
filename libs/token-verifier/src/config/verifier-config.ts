import { type AppName, type EnvReader, envSchemas } from '@authmesh/platform';
import { z } from 'zod';

/** How a service verifies tokens; read from the environment once, at start-up. */
export interface VerifierConfig {
  /** AUTH_ISSUER: the exact `iss` of our tokens, e.g. http://127.0.0.1:3001 */
  readonly issuer: string;
  /** AUTH_AUDIENCE (default: the app name): must be in every token's `aud`. */
  readonly audience: string;
  /** AUTH_JWKS_URI (default `${AUTH_ISSUER}/.well-known/jwks.json`). */
  readonly jwksUri: string;
  /** JWT_CLOCK_TOLERANCE_S (default 30). */
  readonly clockToleranceSeconds: number;
  /** JWKS_COOLDOWN_S (default 30): at most one unknown-kid refetch per this window. */
  readonly jwksCooldownSeconds: number;
  /** JWKS_MAX_STALENESS_S (default 86400): stop using cached keys this long after the last good fetch. */
  readonly jwksMaxStalenessSeconds: number;
  /** JWKS_FETCH_TIMEOUT_MS (default 2000). */
  readonly jwksFetchTimeoutMs: number;
  /** JWT_MAX_TOKEN_BYTES (default 8192). */
  readonly maxTokenBytes: number;
}

const httpUrl = envSchemas.url(['http', 'https']);
const audience = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be a non-empty audience name without spaces');

/**
 * Reads the verifier's variables with the app's reader (problems are reported with the app's
 * other variables, all at once).
 *
 * @example
 * const reader = new EnvReader(env);
 * const base = readBaseConfig('orders', reader, env);
 * const verifier = readVerifierConfig(reader, 'orders');
 * reader.finish('orders');
 */
export function readVerifierConfig(reader: EnvReader, app: AppName): VerifierConfig {
  // Auth strips one trailing slash from AUTH_ISSUER before putting it in `iss`; do the same so one value configures both.
  const issuer = reader.required('AUTH_ISSUER', httpUrl, "the auth service's issuer URL, e.g. http://127.0.0.1:3001")?.replace(/\/$/, '');
  const defaultJwksUri = issuer ? `${issuer}/.well-known/jwks.json` : 'http://unset.invalid/';
  return {
    issuer,
    audience: reader.optional('AUTH_AUDIENCE', audience, app),
    jwksUri: reader.optional('AUTH_JWKS_URI', httpUrl, defaultJwksUri),
    clockToleranceSeconds: reader.optional('JWT_CLOCK_TOLERANCE_S', envSchemas.int(0, 300), '30'),
    jwksCooldownSeconds: reader.optional('JWKS_COOLDOWN_S', envSchemas.int(1, 3600), '30'),
    jwksMaxStalenessSeconds: reader.optional('JWKS_MAX_STALENESS_S', envSchemas.int(1, 30 * 86400), '86400'),
    jwksFetchTimeoutMs: reader.optional('JWKS_FETCH_TIMEOUT_MS', envSchemas.int(50, 60_000), '2000'),
    maxTokenBytes: reader.optional('JWT_MAX_TOKEN_BYTES', envSchemas.int(1024, 65_536), '8192'),
  };
}
