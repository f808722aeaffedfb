import { MAX_CLOCK_TOLERANCE_SECONDS } from '@authmesh/contracts';
import { type AppName, EnvReader, type EnvTable, envSchemas, envVar } from '@authmesh/platform';
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
  /** JWKS_COOLDOWN_S (default 30): at most one unknown-kid refetch per this window (plus one per key-set announcement). */
  readonly jwksCooldownSeconds: number;
  /** JWKS_MAX_STALENESS_S (default 86400): stop using cached keys this long after the last good fetch. */
  readonly jwksMaxStalenessSeconds: number;
  /** JWKS_FETCH_TIMEOUT_MS (default 2000). */
  readonly jwksFetchTimeoutMs: number;
  /** JWT_MAX_TOKEN_BYTES (default 8192). */
  readonly maxTokenBytes: number;
  /** JWT_DPOP_ORIGINS (default none): the origins a DPoP proof's `htu` may name here; none refuses every DPoP request. */
  readonly dpopOrigins: readonly string[];
  /** JWT_DPOP_IAT_WINDOW_S (default 60): a proof is accepted this long after its `iat`, and its `jti` remembered as long. */
  readonly dpopIatWindowSeconds: number;
  /** JWT_DPOP_REPLAY_CACHE_MAX (default 100000): proofs the local replay cache remembers. */
  readonly dpopReplayCacheMaxEntries: number;
  /** JWT_DPOP_REPLAY_OUTAGE_POLICY (default `reject`): what a DPoP request gets while the shared replay check (Redis) is down. */
  readonly dpopReplayOutagePolicy: 'reject' | 'local';
}

const httpUrl = envSchemas.url(['http', 'https']);
/**
 * `scheme://host[:port]` exactly (no path, no trailing slash), as browsers send in `Origin` and as
 * a DPoP proof's `htu` starts: JWT_DPOP_ORIGINS here, GATEWAY_PUBLIC_ORIGIN and GATEWAY_CORS_ORIGINS at the gateway.
 */
export const httpOriginSchema = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
  } catch {
    return false;
  }
}, 'must be an origin such as https://app.example.com (scheme, host and optional port; no path, no trailing slash)');
const origins = z
  .string()
  .transform((v) => v.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(httpOriginSchema));
const audience = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be a non-empty audience name without spaces');

/** The verifier's variables, read by every app that verifies tokens (orders, profiles, the gateway). */
export const VERIFIER_ENV = {
  issuer: envVar.required('AUTH_ISSUER', httpUrl, {
    description: 'The exact `iss` of our tokens (one trailing slash is ignored, as auth does).',
    hint: "the auth service's issuer URL, e.g. http://127.0.0.1:3001",
  }),
  audience: envVar.optional('AUTH_AUDIENCE', audience, {
    description: "The audience that must be in every token's `aud`.",
    derivedDefault: 'the app name',
  }),
  jwksUri: envVar.optional('AUTH_JWKS_URI', httpUrl, {
    description: "Where auth's signing keys are fetched from.",
    derivedDefault: '`${AUTH_ISSUER}/.well-known/jwks.json`',
  }),
  clockToleranceSeconds: envVar.withDefault('JWT_CLOCK_TOLERANCE_S', envSchemas.int(0, MAX_CLOCK_TOLERANCE_SECONDS), '30', {
    description: 'Leeway on `exp`, `nbf` and `iat` (0-300 s).',
  }),
  jwksCooldownSeconds: envVar.withDefault('JWKS_COOLDOWN_S', envSchemas.int(1, 3600), '30', {
    description:
      'At most one JWKS refetch for an unknown `kid` per this many seconds (plus one after each key-set announcement from auth).',
  }),
  jwksMaxStalenessSeconds: envVar.withDefault('JWKS_MAX_STALENESS_S', envSchemas.int(1, 30 * 86400), '86400', {
    description: 'Cached keys stop being used this long after the last good JWKS fetch (then 401 `keys_unavailable`).',
  }),
  jwksFetchTimeoutMs: envVar.withDefault('JWKS_FETCH_TIMEOUT_MS', envSchemas.int(50, 60_000), '2000', {
    description: 'Bound on one JWKS fetch.',
  }),
  maxTokenBytes: envVar.withDefault('JWT_MAX_TOKEN_BYTES', envSchemas.int(1024, 65_536), '8192', {
    description: 'Longer tokens are refused (`token_too_large`) before any parsing.',
  }),
  dpopOrigins: envVar.withDefault('JWT_DPOP_ORIGINS', origins, '', {
    description:
      "The origins this service is addressed at (comma-separated), for the `htu` of DPoP proofs (RFC 9449): the public one, and the in-cluster one the gateway forwards to. The request's Host only chooses among them. Empty: every `Authorization: DPoP` request is refused (`dpop_proof_htu_mismatch`).",
  }),
  dpopIatWindowSeconds: envVar.withDefault('JWT_DPOP_IAT_WINDOW_S', envSchemas.int(5, 300), '60', {
    description: 'A DPoP proof is accepted this long after its `iat` (5-300 s), and its `jti` is remembered as long.',
  }),
  dpopReplayCacheMaxEntries: envVar.withDefault('JWT_DPOP_REPLAY_CACHE_MAX', envSchemas.int(1000, 10_000_000), '100000', {
    description: 'DPoP proof `jti`s the local replay cache holds (the shared check in Redis holds every one).',
  }),
  dpopReplayOutagePolicy: envVar.withDefault(
    'JWT_DPOP_REPLAY_OUTAGE_POLICY',
    z.enum(['reject', 'local'], 'must be reject or local'),
    'reject',
    {
      description:
        'While the shared replay check (Redis) is down: `reject` answers DPoP requests 503 `dpop_replay_unavailable` (fail closed); `local` accepts on the local cache alone (a proof replayed to another replica within its window gets through). Bearer requests are not concerned.',
    },
  ),
} satisfies EnvTable;

/**
 * Reads the verifier's variables with the app's reader (problems are reported with the app's
 * other variables, all at once); `undefined` when one of them has a problem.
 *
 * @example
 * const reader = new EnvReader(env);
 * const base = readBaseConfig('orders', reader, env);
 * const verifier = readVerifierConfig(reader, 'orders');
 * const config = reader.finish('orders', { base, verifier });
 */
export function readVerifierConfig(reader: EnvReader, app: AppName | (string & {})): VerifierConfig | undefined {
  const v = reader.read(VERIFIER_ENV);
  if (v === undefined) return undefined;
  // Auth strips one trailing slash from AUTH_ISSUER before putting it in `iss`; do the same so one value configures both.
  const issuer = v.issuer.replace(/\/$/, '');
  return { ...v, issuer, audience: v.audience ?? app, jwksUri: v.jwksUri ?? `${issuer}/.well-known/jwks.json` };
}

/**
 * The verifier's configuration of a service outside this repository, from its environment (the
 * same variables, defaults and checks as ours: AUTH_ISSUER, AUTH_JWKS_URI, JWT_CLOCK_TOLERANCE_S…);
 * throws a ConfigError naming every bad variable at once. The audience is `audience`, whatever
 * AUTH_AUDIENCE says.
 *
 * @example
 * TokenVerifierModule.forRoot(verifierConfigFrom(process.env, 'billing'))
 */
export function verifierConfigFrom(env: Readonly<Record<string, string | undefined>>, audience: string): VerifierConfig {
  // The argument wins over an AUTH_AUDIENCE in env: a process running two verifiers (or one that
  // inherited another service's environment) must not accept tokens minted for someone else.
  const reader = new EnvReader({ ...env, AUTH_AUDIENCE: audience });
  const verifier = readVerifierConfig(reader, audience);
  return reader.finish(audience, { verifier }).verifier;
}
