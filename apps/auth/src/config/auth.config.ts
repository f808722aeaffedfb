import { z } from 'zod';
import { AUDIENCE_PATTERN, CLIENT_GRANT_TYPES, CLIENT_ID_PATTERN, CLIENT_ID_RULE, SCOPE_TOKEN_PATTERN } from '@authmesh/contracts';
import { type BaseConfig, type Env, EnvReader, envSchemas, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, readRevocationConfig } from '@authmesh/revocation';
import { reservedClientIdProblems } from '../clients/client-id-rules.js';

export interface SeedClient {
  clientId: string;
  secret: string;
  scopes: string[];
  audiences: string[];
  grantTypes?: string[];
}

export interface AuthConfig extends BaseConfig {
  /** How auth's own routes (logout, admin) check revocation: the same mirror and outage policy as every verifier. */
  revocation: RevocationConfig;
  auth: {
    issuer: string;
    /** Key-encryption key (32 bytes) protecting private signing keys at rest. */
    kek: Buffer;
    accessTokenTtlSeconds: number;
    /** AUTH_ADMIN_TOKEN_TTL_S: lifetime of a `POST /auth/admin-token` token (never more than accessTokenTtlSeconds). */
    adminTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    refreshTokenAbsoluteSeconds: number;
    rsaKeyBits: 2048 | 3072 | 4096;
    jwksMaxAgeSeconds: number;
    /** Key lifecycle (README, "Signing keys and rotation"). */
    keys: {
      /** A new key is published every this many days (0: only on demand). */
      rotationDays: number;
      /** A planned rotation's key is in the JWKS this long before it signs; longer than the JWKS max-age. */
      publishDelaySeconds: number;
      /** How often each instance advances key states and reloads its keyring (the backstop to the Redis announcement). */
      checkIntervalSeconds: number;
    };
    /** Leeway on exp/nbf/iat, also added to blocklist TTLs. */
    clockToleranceSeconds: number;
    /** `client_id` claim of tokens issued to users by /auth/login (the first-party public client). */
    userClientId: string;
    userAudiences: string[];
    userScopes: string[];
    /** Failed password checks one account may take in the window from addresses it does not know (account-wide cap). */
    loginMaxFailuresPerAccount: number;
    /** Failed password checks one client address may take in the window, over all accounts. */
    loginMaxFailuresPerAddress: number;
    /** The window of the account-wide and per-address failure budgets. */
    loginFailureWindowSeconds: number;
    /** Consecutive failures one address may take on one account before each further attempt must wait. */
    loginFreeFailures: number;
    /** The first wait after the free failures; each further one doubles, up to loginDelayMaxSeconds. */
    loginDelaySeconds: number;
    loginDelayMaxSeconds: number;
    /** How long an (account, address) pair's consecutive failures are remembered. */
    loginFailureMemorySeconds: number;
    /** How long an address the account's password was right from stays known (it then ignores the account-wide cap). */
    loginKnownAddressSeconds: number;
    /** Wrong current passwords one access token may send to POST /auth/password before it is revoked. */
    passwordMaxFailuresPerToken: number;
    /** argon2id hashes/verifications running at once (each holds a libuv thread pool thread and 19 MiB). */
    hashConcurrency: number;
    /** Hashes waiting for a slot; past it, 503 `hashing_busy` with Retry-After. */
    hashQueue: number;
    /**
     * AUTH_PROXY_SECRET: a proxy (the gateway) proves with it that it wrote a request's
     * X-Forwarded-For; auth believes that address only with a valid proof (or from TRUST_PROXY).
     */
    proxySecret?: string;
    requestsPerMinutePerAddress: number;
    seedAdmin?: { email: string; password: string };
    seedClients: SeedClient[];
    /** Scopes and audiences a client may be given by the admin API: AUTH_KNOWN_* plus those of AUTH_SEED_CLIENTS. */
    knownScopes: string[];
    knownAudiences: string[];
    /** `required`: a new account logs in only after POST /auth/verify-email with the token the sender delivered. */
    emailVerification: 'off' | 'required';
    emailVerificationTtlSeconds: number;
    /** Lifetime of the single-use token of an unlock message (the right password from a new address past the account-wide cap). */
    unlockTokenTtlSeconds: number;
    /** Where account messages (verification, "someone tried to register") are POSTed as JSON; unset: the log. */
    mailWebhookUrl?: string;
  };
}

const kek = z
  .string()
  .refine(
    (v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32,
    'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
  )
  .transform((v) => Buffer.from(v, 'base64'));
const words = z.string().transform((v) => v.split(/[\s,]+/).filter(Boolean));
const scopeWords = words.pipe(z.array(z.string().regex(SCOPE_TOKEN_PATTERN, 'each scope must be an RFC 6749 scope-token')));
const audienceWords = words.pipe(z.array(z.string().regex(AUDIENCE_PATTERN, 'each audience must be 1-256 visible ASCII characters')));
const seedClients = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(
      z.object({
        clientId: z.string().regex(CLIENT_ID_PATTERN),
        secret: z.string().min(16, 'secret must be at least 16 characters'),
        scopes: z.array(z.string().regex(SCOPE_TOKEN_PATTERN)),
        audiences: z.array(z.string().min(1)).min(1),
        grantTypes: z.array(z.enum(CLIENT_GRANT_TYPES)).min(1).optional(),
      }),
      'must be a JSON array of { clientId, secret, scopes, audiences, grantTypes? }',
    ),
  );

/** Reads auth's configuration: the shared variables plus AUTH_* (see the README's table). */
export function loadAuthConfig(env: Env): AuthConfig {
  const reader = new EnvReader(env);
  const base = readBaseConfig('auth', reader, env);
  const ttl = reader.optional('AUTH_ACCESS_TOKEN_TTL_S', envSchemas.int(30, 3600), '300');
  // An admin token is the strongest token auth issues: short-lived, and never outliving a login token.
  const adminTtl = reader.maybe('AUTH_ADMIN_TOKEN_TTL_S', envSchemas.int(10, 3600));
  if (adminTtl !== undefined && ttl !== undefined && adminTtl > ttl)
    reader.problem('AUTH_ADMIN_TOKEN_TTL_S', `must not exceed AUTH_ACCESS_TOKEN_TTL_S (${ttl})`);
  const jwksMaxAge = reader.optional('AUTH_JWKS_MAX_AGE_S', envSchemas.int(0, 86400), '300');
  const adminEmail = reader.maybe('AUTH_SEED_ADMIN_EMAIL', z.email('must be an email address'));
  const adminPassword = reader.maybe('AUTH_SEED_ADMIN_PASSWORD', z.string().min(12, 'must be at least 12 characters'));
  if (Boolean(adminEmail) !== Boolean(adminPassword))
    reader.problem('AUTH_SEED_ADMIN_PASSWORD', 'AUTH_SEED_ADMIN_EMAIL and AUTH_SEED_ADMIN_PASSWORD go together');
  const config: AuthConfig = {
    ...base,
    revocation: readRevocationConfig(reader),
    auth: {
      issuer: reader.optional('AUTH_ISSUER', envSchemas.url(['http', 'https']), `http://127.0.0.1:${base.port ?? 3001}`).replace(/\/$/, ''),
      kek: reader.required('AUTH_KEK', kek, 'generate one with: openssl rand -base64 32'),
      accessTokenTtlSeconds: ttl,
      adminTokenTtlSeconds: adminTtl ?? Math.min(120, ttl ?? 120),
      refreshTokenTtlSeconds: reader.optional('AUTH_REFRESH_TOKEN_TTL_S', envSchemas.int(60, 90 * 86400), String(14 * 86400)),
      refreshTokenAbsoluteSeconds: reader.optional('AUTH_REFRESH_TOKEN_MAX_S', envSchemas.int(60, 365 * 86400), String(30 * 86400)),
      rsaKeyBits: reader.optional(
        'AUTH_RSA_KEY_BITS',
        z.enum(['2048', '3072', '4096'], 'must be 2048, 3072 or 4096').transform(Number),
        '2048',
      ) as 2048 | 3072 | 4096,
      jwksMaxAgeSeconds: jwksMaxAge,
      keys: {
        rotationDays: reader.optional('AUTH_KEY_ROTATION_DAYS', z.coerce.number().min(0).max(3650), '30'),
        publishDelaySeconds: reader.optional('AUTH_KEY_PUBLISH_DELAY_S', envSchemas.int(0, 30 * 86400), String(jwksMaxAge * 2)),
        checkIntervalSeconds: reader.optional('AUTH_KEY_CHECK_INTERVAL_S', z.coerce.number().min(0.05).max(3600), '5'),
      },
      clockToleranceSeconds: reader.optional('JWT_CLOCK_TOLERANCE_S', envSchemas.int(0, 300), '30'),
      userClientId: reader.optional('AUTH_USER_CLIENT_ID', z.string().regex(CLIENT_ID_PATTERN, `must be ${CLIENT_ID_RULE}`), 'authmesh'),
      userAudiences: reader.optional('AUTH_USER_AUDIENCES', words, 'auth gateway orders profiles'),
      userScopes: reader.optional('AUTH_USER_SCOPES', words, 'orders:read orders:write profiles:read profiles:write'),
      loginMaxFailuresPerAccount: reader.optional('AUTH_LOGIN_MAX_FAILURES', envSchemas.int(1, 100000), '50'),
      loginMaxFailuresPerAddress: reader.optional('AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS', envSchemas.int(1, 100000), '100'),
      loginFailureWindowSeconds: reader.optional('AUTH_LOGIN_FAILURE_WINDOW_S', envSchemas.int(1, 86400), '3600'),
      loginFreeFailures: reader.optional('AUTH_LOGIN_FREE_FAILURES', envSchemas.int(1, 1000), '5'),
      loginDelaySeconds: reader.optional('AUTH_LOGIN_DELAY_S', envSchemas.int(1, 3600), '2'),
      loginDelayMaxSeconds: reader.optional('AUTH_LOGIN_DELAY_MAX_S', envSchemas.int(1, 86400), '900'),
      // At most 24 days each: rate-limiter-flexible's memory store (npm start, and Redis's insurance
      // limiter during an outage) expires entries with a Node timer, which holds at most 2^31-1 ms
      // (24.8 days); a longer one fires at once and the count or the known address is forgotten.
      loginFailureMemorySeconds: reader.optional('AUTH_LOGIN_FAILURE_MEMORY_S', envSchemas.int(60, 24 * 86400), '86400'),
      loginKnownAddressSeconds: reader.optional('AUTH_LOGIN_KNOWN_ADDRESS_DAYS', envSchemas.int(0, 24), '24') * 86400,
      passwordMaxFailuresPerToken: reader.optional('AUTH_PASSWORD_MAX_FAILURES_PER_TOKEN', envSchemas.int(1, 1000), '5'),
      hashConcurrency: reader.optional('AUTH_HASH_CONCURRENCY', envSchemas.int(1, 64), '2'),
      hashQueue: reader.optional('AUTH_HASH_QUEUE', envSchemas.int(0, 100000), '32'),
      proxySecret: reader.maybe('AUTH_PROXY_SECRET', z.string().min(32, 'must be at least 32 characters (openssl rand -base64 32)')),
      requestsPerMinutePerAddress: reader.optional('AUTH_RATE_LIMIT_PER_MIN', envSchemas.int(1, 1_000_000), '300'),
      seedAdmin: adminEmail && adminPassword ? { email: adminEmail, password: adminPassword } : undefined,
      seedClients: reader.optional('AUTH_SEED_CLIENTS', seedClients, '[]'),
      knownScopes: [],
      knownAudiences: [],
      emailVerification: reader.optional('AUTH_EMAIL_VERIFICATION', z.enum(['off', 'required'], 'must be off or required'), 'off'),
      emailVerificationTtlSeconds: reader.optional('AUTH_EMAIL_VERIFICATION_TTL_S', envSchemas.int(300, 30 * 86400), '86400'),
      unlockTokenTtlSeconds: reader.optional('AUTH_UNLOCK_TOKEN_TTL_S', envSchemas.int(60, 86400), '900'),
      mailWebhookUrl: reader.maybe('AUTH_MAIL_WEBHOOK_URL', envSchemas.url(['http', 'https'])),
    },
  };
  // The catalogue the clients admin API checks against (an unknown scope is a typo or a
  // privilege nobody defined). Defaults: what users get, auth's own scopes, the suite's services.
  const knownScopes = reader.optional(
    'AUTH_KNOWN_SCOPES',
    scopeWords,
    [...(config.auth.userScopes ?? []), 'auth:admin', 'auth:introspect'].join(' '),
  );
  const knownAudiences = reader.optional(
    'AUTH_KNOWN_AUDIENCES',
    audienceWords,
    ['auth', 'gateway', 'orders', 'profiles', ...(config.auth.userAudiences ?? [])].join(' '),
  );
  const seeded = config.auth.seedClients ?? [];
  config.auth.knownScopes = [...new Set([...(knownScopes ?? []), ...seeded.flatMap((c) => c.scopes)])];
  config.auth.knownAudiences = [...new Set([...(knownAudiences ?? []), ...seeded.flatMap((c) => c.audiences)])];
  if (config.auth.loginDelaySeconds > config.auth.loginDelayMaxSeconds) {
    reader.problem('AUTH_LOGIN_DELAY_S', 'must not exceed AUTH_LOGIN_DELAY_MAX_S');
  }
  if (config.auth.loginDelayMaxSeconds > config.auth.loginFailureMemorySeconds) {
    // A wait longer than the memory of the failures would end with the count forgotten (a fresh free budget).
    reader.problem('AUTH_LOGIN_DELAY_MAX_S', 'must not exceed AUTH_LOGIN_FAILURE_MEMORY_S');
  }
  if (config.auth.refreshTokenTtlSeconds > config.auth.refreshTokenAbsoluteSeconds) {
    reader.problem('AUTH_REFRESH_TOKEN_TTL_S', 'must not exceed AUTH_REFRESH_TOKEN_MAX_S');
  }
  for (const client of config.auth.seedClients) {
    for (const problem of reservedClientIdProblems(client.clientId, config.auth.userClientId)) reader.problem('AUTH_SEED_CLIENTS', problem);
  }
  // Verifiers must hold a planned key before it signs: they refetch at the latest after max-age.
  if (config.auth.keys.publishDelaySeconds <= config.auth.jwksMaxAgeSeconds) {
    reader.problem('AUTH_KEY_PUBLISH_DELAY_S', `must be longer than AUTH_JWKS_MAX_AGE_S (${config.auth.jwksMaxAgeSeconds})`);
  }
  reader.finish('auth');
  return config;
}
