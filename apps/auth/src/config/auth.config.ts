import { z } from 'zod';
import {
  AUDIENCE_PATTERN,
  CLIENT_GRANT_TYPES,
  CLIENT_ID_PATTERN,
  CLIENT_ID_RULE,
  GRANT_AUTHORIZATION_CODE,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  SCOPE_TOKEN_PATTERN,
} from '@authmesh/contracts';
import { type BaseConfig, type Env, EnvReader, type EnvTable, envSchemas, envVar, readBaseConfig } from '@authmesh/platform';
import { type RevocationConfig, readRevocationConfig } from '@authmesh/revocation';
import { reservedClientIdProblems } from '../clients/client-id-rules.js';
import { clientSecretProblems } from '../clients/client-secret-rules.js';
import { redirectUriListProblems } from '../clients/redirect-uri-rules.js';
import { type ClientJwks, clientJwksProblems, normalizeClientJwks } from '../oauth/client-jwks.js';

export interface SeedClient {
  clientId: string;
  /** Exactly one of `secret` (client_secret_basic) and `jwks` (private_key_jwt, public keys only). */
  secret?: string;
  jwks?: ClientJwks;
  scopes: string[];
  audiences: string[];
  grantTypes?: string[];
  /** Authorization code flow: exact redirect URIs, post-logout redirect URIs, and whether consent is skipped. */
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  /** A public client (`token_endpoint_auth_method: none`): neither `secret` nor `jwks`. */
  public?: boolean;
  /** RFC 9449 §5.2: every token request of this client must carry a DPoP proof. */
  dpopBoundAccessTokens?: boolean;
}

/** What is wrong with a seed client's redirect URIs (and the code grant without any). */
export function seedClientRedirectProblems(client: SeedClient): string[] {
  return [
    ...redirectUriListProblems(client.redirectUris ?? [], 'redirectUris'),
    ...redirectUriListProblems(client.postLogoutRedirectUris ?? [], 'postLogoutRedirectUris'),
    ...((client.grantTypes ?? []).includes(GRANT_AUTHORIZATION_CODE) && (client.redirectUris ?? []).length === 0
      ? ['the authorization_code grant needs at least one redirect URI']
      : []),
  ];
}

export interface AuthConfig extends BaseConfig {
  /** How auth's own routes (logout, admin) check revocation: the same mirror and outage policy as every verifier. */
  revocation: RevocationConfig;
  auth: {
    issuer: string;
    /** Key-encryption key (32 bytes) protecting private signing keys at rest. */
    kek: Buffer;
    accessTokenTtlSeconds: number;
    /** AUTH_API_KEY_TOKEN_TTL_S: lifetime of a token exchanged for an API key (never more than accessTokenTtlSeconds). */
    apiKeyTokenTtlSeconds: number;
    /** AUTH_API_KEY_MAX_GRACE_S: the longest grace period a rotation may give the old key. */
    apiKeyMaxGraceSeconds: number;
    /** AUTH_ADMIN_TOKEN_TTL_S: lifetime of a `POST /auth/admin-token` token (never more than accessTokenTtlSeconds). */
    adminTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    refreshTokenAbsoluteSeconds: number;
    rsaKeyBits: 2048 | 3072 | 4096;
    jwksMaxAgeSeconds: number;
    /** Key lifecycle (docs/architecture.md, "Signing keys and rotation"). */
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
    /** argon2id hashes/verifications of passwords (and legacy client rows) running at once (each holds a libuv thread pool thread and 19 MiB). */
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
    /** Failed client authentications at /oauth/* one client may take per window from addresses it is not known at. */
    clientMaxFailures: number;
    /** Failed client authentications one address may take per window, over all clients. */
    clientMaxFailuresPerAddress: number;
    clientFailureWindowSeconds: number;
    /** AUTH_CLIENT_CACHE_MAX_STALE_S: how old a cached client record may be when the database can't be read (client credentials). */
    clientCacheMaxStaleSeconds: number;
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
    /** AUTH_CODE_TTL_S: lifetime of an authorization code (at most 60 s). */
    codeTtlSeconds: number;
    /** AUTH_SSO_IDLE_S: an SSO session unused this long ends. */
    ssoIdleSeconds: number;
    /** AUTH_SSO_MAX_S: an SSO session ends this long after the login, used or not. */
    ssoAbsoluteSeconds: number;
    /** DPoP (RFC 9449) at the token endpoint. */
    dpop: {
      /** AUTH_DPOP_REQUIRE_NONCE: every proof must carry the server nonce (§8); refused with `use_dpop_nonce` otherwise. */
      requireNonce: boolean;
      /** AUTH_DPOP_NONCE_WINDOW_S: how long one nonce is handed out (accepted for that window and the next). */
      nonceWindowSeconds: number;
      /** AUTH_DPOP_PROOF_WINDOW_S: how long after its `iat` a proof is accepted (and its `jti` remembered). */
      proofWindowSeconds: number;
      /**
       * The URLs a proof's `htu` may name: `${issuer}/oauth/token` first, then AUTH_DPOP_TOKEN_URLS
       * (where clients inside the cluster reach auth). Never the Host header of the request.
       */
      tokenEndpointUrls: string[];
      /**
       * AUTH_DPOP_EDGE_CLIENTS: the clients (the gateway) that may exchange a user's DPoP-bound
       * token for one bound to their own key, having checked the user's proof themselves. Any
       * other client only exchanges a bound token with a proof of the key it is bound to.
       */
      edgeClients: string[];
    };
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
      z
        .object({
          clientId: z.string().regex(CLIENT_ID_PATTERN),
          // Its strength (clientSecretProblems) is checked in loadAuthConfig, with the client id to name.
          secret: z.string().optional(),
          // Checked by clientJwksProblems in loadAuthConfig (the admin API's rules), then normalized.
          jwks: z.unknown().optional(),
          scopes: z.array(z.string().regex(SCOPE_TOKEN_PATTERN)),
          audiences: z.array(z.string().min(1)).min(1),
          grantTypes: z.array(z.enum(CLIENT_GRANT_TYPES)).min(1).optional(),
          // Checked by redirectUriProblems in loadAuthConfig (the admin API's rules).
          redirectUris: z.array(z.string()).optional(),
          postLogoutRedirectUris: z.array(z.string()).optional(),
          firstParty: z.boolean().optional(),
          public: z.boolean().optional(),
          dpopBoundAccessTokens: z.boolean().optional(),
        })
        .superRefine((c, ctx) => {
          // A client authenticates one way (RFC 7591 §2 token_endpoint_auth_method): a secret or keys, never
          // both; a public client (`none`) has neither.
          if (c.public === true) {
            if (c.secret !== undefined || c.jwks !== undefined)
              ctx.addIssue({ code: 'custom', message: `client "${c.clientId}" is public: it has neither secret nor jwks` });
          } else if ((c.secret === undefined) === (c.jwks === undefined))
            ctx.addIssue({ code: 'custom', message: `client "${c.clientId}" must have exactly one of secret and jwks` });
          else if (c.jwks !== undefined)
            for (const problem of clientJwksProblems(c.jwks))
              ctx.addIssue({ code: 'custom', message: `client "${c.clientId}": ${problem}` });
        })
        .transform(({ jwks, ...c }): SeedClient => (jwks === undefined ? c : { ...c, jwks: normalizeClientJwks(jwks) })),
      'must be a JSON array of { clientId, secret or jwks (or public: true), scopes, audiences, grantTypes?, redirectUris?, postLogoutRedirectUris?, firstParty?, dpopBoundAccessTokens? }',
    ),
  );

const int = envSchemas.int;
const proxySecret = z.string().min(32, 'must be at least 32 characters (openssl rand -base64 32)');

/** Auth's own variables (the shared ones are platform's BASE_ENV); problems are reported in this order. */
export const AUTH_ENV = {
  accessTokenTtlSeconds: envVar.withDefault('AUTH_ACCESS_TOKEN_TTL_S', int(30, MAX_ACCESS_TOKEN_LIFETIME_SECONDS), '300', {
    description: 'Lifetime of an access token (30-3600 s).',
  }),
  // An admin token is the strongest token auth issues: short-lived, and never outliving a login token.
  adminTokenTtlSeconds: envVar.optional('AUTH_ADMIN_TOKEN_TTL_S', int(10, 3600), {
    description: 'Lifetime of a `POST /auth/admin-token` token; at most AUTH_ACCESS_TOKEN_TTL_S.',
    derivedDefault: 'the smaller of 120 and AUTH_ACCESS_TOKEN_TTL_S',
  }),
  // A key's token is what a backend sees: short, so a revocation that somehow missed it dies soon anyway.
  apiKeyTokenTtlSeconds: envVar.optional('AUTH_API_KEY_TOKEN_TTL_S', int(10, MAX_ACCESS_TOKEN_LIFETIME_SECONDS), {
    description: 'Lifetime of a token exchanged for an API key at the gateway; at most AUTH_ACCESS_TOKEN_TTL_S.',
    derivedDefault: 'the smaller of 120 and AUTH_ACCESS_TOKEN_TTL_S',
  }),
  apiKeyMaxGraceSeconds: envVar.withDefault('AUTH_API_KEY_MAX_GRACE_S', int(0, 30 * 86400), '604800', {
    description: 'The longest grace period `rotate` may give the old API key (both keys work during it).',
  }),
  jwksMaxAgeSeconds: envVar.withDefault('AUTH_JWKS_MAX_AGE_S', int(0, 86400), '300', {
    description: '`Cache-Control: max-age` of the JWKS: verifiers refetch at the latest after it.',
  }),
  seedAdminEmail: envVar.optional('AUTH_SEED_ADMIN_EMAIL', z.email('must be an email address'), {
    description: 'With AUTH_SEED_ADMIN_PASSWORD: an administrator account created at start-up if missing.',
  }),
  seedAdminPassword: envVar.optional('AUTH_SEED_ADMIN_PASSWORD', z.string().min(12, 'must be at least 12 characters'), {
    description: "The seeded administrator's password (at least 12 characters).",
    secret: true,
  }),
  issuer: envVar.optional('AUTH_ISSUER', envSchemas.url(['http', 'https']), {
    description: 'The `iss` of every token, and the base of the JWKS URL verifiers use (one trailing slash is dropped).',
    derivedDefault: '`http://127.0.0.1:${PORT}`',
  }),
  kek: envVar.required('AUTH_KEK', kek, {
    description: 'Key-encryption key protecting the private signing keys at rest: 32 bytes, base64.',
    hint: 'generate one with: openssl rand -base64 32',
    secret: true,
  }),
  refreshTokenTtlSeconds: envVar.withDefault('AUTH_REFRESH_TOKEN_TTL_S', int(60, 90 * 86400), String(14 * 86400), {
    description: 'A refresh token unused this long expires (sliding); at most AUTH_REFRESH_TOKEN_MAX_S.',
  }),
  refreshTokenAbsoluteSeconds: envVar.withDefault('AUTH_REFRESH_TOKEN_MAX_S', int(60, 365 * 86400), String(30 * 86400), {
    description: 'A refresh token family ends this long after the login, used or not.',
  }),
  rsaKeyBits: envVar.withDefault(
    'AUTH_RSA_KEY_BITS',
    z.enum(['2048', '3072', '4096'], 'must be 2048, 3072 or 4096').transform((v) => Number(v) as 2048 | 3072 | 4096),
    '2048',
    { description: 'Size of new RSA signing keys: 2048, 3072 or 4096.' },
  ),
  rotationDays: envVar.withDefault('AUTH_KEY_ROTATION_DAYS', z.coerce.number().min(0).max(3650), '30', {
    description: 'A new signing key is published every this many days (0: only on demand).',
  }),
  publishDelaySeconds: envVar.optional('AUTH_KEY_PUBLISH_DELAY_S', int(0, 30 * 86400), {
    description: "A planned rotation's key is in the JWKS this long before it signs; longer than AUTH_JWKS_MAX_AGE_S.",
    derivedDefault: '2 × AUTH_JWKS_MAX_AGE_S',
  }),
  checkIntervalSeconds: envVar.withDefault('AUTH_KEY_CHECK_INTERVAL_S', z.coerce.number().min(0.05).max(3600), '5', {
    description: 'How often each instance advances key states and reloads its keyring (the backstop to the Redis announcement).',
  }),
  clockToleranceSeconds: envVar.withDefault('JWT_CLOCK_TOLERANCE_S', int(0, MAX_CLOCK_TOLERANCE_SECONDS), '30', {
    description: 'Leeway on `exp`, `nbf` and `iat` of the tokens auth itself checks; also added to blocklist TTLs.',
  }),
  userClientId: envVar.withDefault('AUTH_USER_CLIENT_ID', z.string().regex(CLIENT_ID_PATTERN, `must be ${CLIENT_ID_RULE}`), 'authmesh', {
    description: '`client_id` of the tokens `/auth/login` issues to users (the first-party public client).',
  }),
  userAudiences: envVar.withDefault('AUTH_USER_AUDIENCES', words, 'auth gateway orders profiles', {
    description: "Audiences of a user's token (space- or comma-separated).",
  }),
  userScopes: envVar.withDefault('AUTH_USER_SCOPES', words, 'orders:read orders:write profiles:read profiles:write', {
    description: "Scopes of a user's token (space- or comma-separated).",
  }),
  loginMaxFailuresPerAccount: envVar.withDefault('AUTH_LOGIN_MAX_FAILURES', int(1, 100000), '50', {
    description: 'Failed password checks one account may take per window from addresses it does not know.',
  }),
  loginMaxFailuresPerAddress: envVar.withDefault('AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS', int(1, 100000), '100', {
    description: 'Failed password checks one client address may take per window, over all accounts.',
  }),
  loginFailureWindowSeconds: envVar.withDefault('AUTH_LOGIN_FAILURE_WINDOW_S', int(1, 86400), '3600', {
    description: 'The window of the two failure budgets above.',
  }),
  loginFreeFailures: envVar.withDefault('AUTH_LOGIN_FREE_FAILURES', int(1, 1000), '5', {
    description: 'Consecutive failures one address may take on one account before each further attempt must wait.',
  }),
  loginDelaySeconds: envVar.withDefault('AUTH_LOGIN_DELAY_S', int(1, 3600), '2', {
    description: 'The first wait after the free failures; each further one doubles. At most AUTH_LOGIN_DELAY_MAX_S.',
  }),
  loginDelayMaxSeconds: envVar.withDefault('AUTH_LOGIN_DELAY_MAX_S', int(1, 86400), '900', {
    description: 'The longest wait; at most AUTH_LOGIN_FAILURE_MEMORY_S.',
  }),
  // At most 24 days each: rate-limiter-flexible's memory store (npm start, and Redis's insurance
  // limiter during an outage) expires entries with a Node timer, which holds at most 2^31-1 ms
  // (24.8 days); a longer one fires at once and the count or the known address is forgotten.
  loginFailureMemorySeconds: envVar.withDefault('AUTH_LOGIN_FAILURE_MEMORY_S', int(60, 24 * 86400), '86400', {
    description: "How long an (account, address) pair's consecutive failures are remembered (at most 24 days).",
  }),
  loginKnownAddressDays: envVar.withDefault('AUTH_LOGIN_KNOWN_ADDRESS_DAYS', int(0, 24), '24', {
    description: 'How long an address the right password came from stays known to the account (it then ignores the account-wide cap).',
  }),
  passwordMaxFailuresPerToken: envVar.withDefault('AUTH_PASSWORD_MAX_FAILURES_PER_TOKEN', int(1, 1000), '5', {
    description: 'Wrong current passwords one access token may send to `POST /auth/password` before it is revoked.',
  }),
  hashConcurrency: envVar.withDefault('AUTH_HASH_CONCURRENCY', int(1, 64), '2', {
    description:
      'argon2id hashes running at once (each holds a libuv thread and 19 MiB): passwords, and client rows still holding a legacy argon2 hash until their first use.',
  }),
  hashQueue: envVar.withDefault('AUTH_HASH_QUEUE', int(0, 100000), '32', {
    description: 'Password (and legacy client-row) hashes waiting for a slot; past it, 503 `hashing_busy` with Retry-After.',
  }),
  proxySecret: envVar.optional('AUTH_PROXY_SECRET', proxySecret, {
    description: "Shared with the gateway's GATEWAY_PROXY_SECRET: proves the proxy wrote X-Forwarded-For (at least 32 characters).",
    secret: true,
  }),
  requestsPerMinutePerAddress: envVar.withDefault('AUTH_RATE_LIMIT_PER_MIN', int(1, 1_000_000), '300', {
    description: "Requests per minute one client address may send to auth's public endpoints (then 429 `too_many_requests`).",
  }),
  seedClients: envVar.withDefault('AUTH_SEED_CLIENTS', seedClients, '[]', {
    description:
      'JSON array of `{ clientId, secret, scopes, audiences, grantTypes? }` created or updated at start-up; each secret at least 32 characters and an estimated 128 bits (`openssl rand -base64 32`); `jwks` (a public JWK Set) instead of `secret` makes a `private_key_jwt` client.',
    secret: true,
  }),
  clientMaxFailures: envVar.withDefault('AUTH_CLIENT_MAX_FAILURES', int(1, 100000), '50', {
    description:
      'Failed secret authentications at `/oauth/*` one client may take per window (then 429, except over a connection peer it authenticated from in the last day).',
  }),
  clientMaxFailuresPerAddress: envVar.withDefault('AUTH_CLIENT_MAX_FAILURES_PER_ADDRESS', int(1, 100000), '20', {
    description: 'Failed client authentications one client address may take per window, over all clients (then 429).',
  }),
  clientFailureWindowSeconds: envVar.withDefault('AUTH_CLIENT_FAILURE_WINDOW_S', int(1, 86400), '300', {
    description: 'The window of the two client-authentication failure budgets above.',
  }),
  clientCacheMaxStaleSeconds: envVar.withDefault('AUTH_CLIENT_CACHE_MAX_STALE_S', int(0, 86400), '300', {
    description:
      "While auth's database is unreachable, client credentials are checked against the client record last read, if it is at most this old (0: never; refused with 503).",
  }),
  emailVerification: envVar.withDefault('AUTH_EMAIL_VERIFICATION', z.enum(['off', 'required'], 'must be off or required'), 'off', {
    description: '`required`: a new account logs in only after `POST /auth/verify-email`.',
  }),
  emailVerificationTtlSeconds: envVar.withDefault('AUTH_EMAIL_VERIFICATION_TTL_S', int(300, 30 * 86400), '86400', {
    description: 'Lifetime of an e-mail verification token.',
  }),
  unlockTokenTtlSeconds: envVar.withDefault('AUTH_UNLOCK_TOKEN_TTL_S', int(60, 86400), '900', {
    description: 'Lifetime of the single-use token of an unlock message.',
  }),
  mailWebhookUrl: envVar.optional('AUTH_MAIL_WEBHOOK_URL', envSchemas.url(['http', 'https']), {
    description: 'Where account messages (verification, unlock, "someone tried to register") are POSTed as JSON.',
    derivedDefault: 'none: messages go to the log',
  }),
  codeTtlSeconds: envVar.withDefault('AUTH_CODE_TTL_S', int(5, 60), '60', {
    description: 'Lifetime of an authorization code (5-60 s; single use either way).',
  }),
  ssoIdleSeconds: envVar.withDefault('AUTH_SSO_IDLE_S', int(60, 30 * 86400), '1800', {
    description: "An SSO session at auth (the hosted login page's cookie) unused this long ends; at most AUTH_SSO_MAX_S.",
  }),
  ssoAbsoluteSeconds: envVar.withDefault('AUTH_SSO_MAX_S', int(60, 90 * 86400), '36000', {
    description: 'An SSO session ends this long after the login, used or not.',
  }),
  dpopRequireNonce: envVar.withDefault('AUTH_DPOP_REQUIRE_NONCE', envSchemas.bool, 'false', {
    description:
      'Every DPoP proof at the token endpoint must carry the server nonce (RFC 9449 §8): a proof without it is answered 400 `use_dpop_nonce` with a `DPoP-Nonce` header to retry with.',
  }),
  dpopNonceWindowSeconds: envVar.withDefault('AUTH_DPOP_NONCE_WINDOW_S', int(10, 3600), '300', {
    description: 'How long one `DPoP-Nonce` is handed out; it is accepted for that window and the next one (stateless across replicas).',
  }),
  dpopProofWindowSeconds: envVar.withDefault('AUTH_DPOP_PROOF_WINDOW_S', int(5, 300), '60', {
    description: 'How long after its `iat` a DPoP proof is accepted at the token endpoint; its `jti` is refused as a replay for as long.',
  }),
  dpopTokenUrls: envVar.optional('AUTH_DPOP_TOKEN_URLS', words.pipe(z.array(envSchemas.url(['http', 'https']))), {
    description:
      "Further URLs of the token endpoint a DPoP proof's `htu` may name, besides `${AUTH_ISSUER}/oauth/token`: where clients inside the cluster reach auth (space- or comma-separated), e.g. `http://auth:3000/oauth/token`.",
    derivedDefault: 'none: only `${AUTH_ISSUER}/oauth/token`',
  }),
  dpopEdgeClients: envVar.withDefault(
    'AUTH_DPOP_EDGE_CLIENTS',
    words.pipe(z.array(z.string().regex(CLIENT_ID_PATTERN, `each client id must be ${CLIENT_ID_RULE}`))),
    'gateway',
    {
      description:
        "Clients allowed to exchange (RFC 8693) a user's DPoP-bound token for one bound to their own key, after checking the user's proof themselves: the edge (space- or comma-separated client ids). Any other client must prove the key the subject token is bound to; a bound token that was itself exchanged is never rebound.",
    },
  ),
  // The catalogue the clients admin API checks against (an unknown scope is a typo or a
  // privilege nobody defined). Defaults: what users get, auth's own scopes, the suite's services.
  knownScopes: envVar.optional('AUTH_KNOWN_SCOPES', scopeWords, {
    description: 'Scopes the admin API may give a client (those of AUTH_SEED_CLIENTS are added).',
    derivedDefault: 'openid, AUTH_USER_SCOPES, auth:admin, auth:introspect',
  }),
  knownAudiences: envVar.optional('AUTH_KNOWN_AUDIENCES', audienceWords, {
    description: 'Audiences the admin API may give a client (those of AUTH_SEED_CLIENTS are added).',
    derivedDefault: 'auth gateway orders profiles, and AUTH_USER_AUDIENCES',
  }),
} satisfies EnvTable;

/** Reads auth's configuration: the shared variables plus AUTH_* (`docs/configuration.md`). */
export function loadAuthConfig(env: Env): AuthConfig {
  const reader = new EnvReader(env);
  const parts = reader.finish('auth', {
    base: readBaseConfig('auth', reader, env),
    revocation: readRevocationConfig(reader),
    v: reader.read(AUTH_ENV),
  });
  const { base, revocation, v } = parts;
  // Rules across variables, once each variable parsed.
  if (v.adminTokenTtlSeconds !== undefined && v.adminTokenTtlSeconds > v.accessTokenTtlSeconds)
    reader.problem('AUTH_ADMIN_TOKEN_TTL_S', `must not exceed AUTH_ACCESS_TOKEN_TTL_S (${v.accessTokenTtlSeconds})`);
  if (v.apiKeyTokenTtlSeconds !== undefined && v.apiKeyTokenTtlSeconds > v.accessTokenTtlSeconds)
    reader.problem('AUTH_API_KEY_TOKEN_TTL_S', `must not exceed AUTH_ACCESS_TOKEN_TTL_S (${v.accessTokenTtlSeconds})`);
  if (Boolean(v.seedAdminEmail) !== Boolean(v.seedAdminPassword))
    reader.problem('AUTH_SEED_ADMIN_PASSWORD', 'AUTH_SEED_ADMIN_EMAIL and AUTH_SEED_ADMIN_PASSWORD go together');
  // The derived catalogue defaults go through the same schemas as explicit values (already parsed above) did.
  const catalogue = reader.read({
    knownScopes: {
      ...AUTH_ENV.knownScopes,
      kind: 'default',
      default: ['openid', ...v.userScopes, 'auth:admin', 'auth:introspect'].join(' '),
    },
    knownAudiences: {
      ...AUTH_ENV.knownAudiences,
      kind: 'default',
      default: ['auth', 'gateway', 'orders', 'profiles', ...v.userAudiences].join(' '),
    },
  } as const);
  const seeded = v.seedClients;
  const issuer = (v.issuer ?? `http://127.0.0.1:${base.port}`).replace(/\/$/, '');
  const config: AuthConfig = {
    ...base,
    revocation,
    auth: {
      issuer,
      kek: v.kek,
      accessTokenTtlSeconds: v.accessTokenTtlSeconds,
      adminTokenTtlSeconds: v.adminTokenTtlSeconds ?? Math.min(120, v.accessTokenTtlSeconds),
      apiKeyTokenTtlSeconds: v.apiKeyTokenTtlSeconds ?? Math.min(120, v.accessTokenTtlSeconds),
      apiKeyMaxGraceSeconds: v.apiKeyMaxGraceSeconds,
      refreshTokenTtlSeconds: v.refreshTokenTtlSeconds,
      refreshTokenAbsoluteSeconds: v.refreshTokenAbsoluteSeconds,
      rsaKeyBits: v.rsaKeyBits,
      jwksMaxAgeSeconds: v.jwksMaxAgeSeconds,
      keys: {
        rotationDays: v.rotationDays,
        publishDelaySeconds: v.publishDelaySeconds ?? v.jwksMaxAgeSeconds * 2,
        checkIntervalSeconds: v.checkIntervalSeconds,
      },
      clockToleranceSeconds: v.clockToleranceSeconds,
      userClientId: v.userClientId,
      userAudiences: v.userAudiences,
      userScopes: v.userScopes,
      loginMaxFailuresPerAccount: v.loginMaxFailuresPerAccount,
      loginMaxFailuresPerAddress: v.loginMaxFailuresPerAddress,
      loginFailureWindowSeconds: v.loginFailureWindowSeconds,
      loginFreeFailures: v.loginFreeFailures,
      loginDelaySeconds: v.loginDelaySeconds,
      loginDelayMaxSeconds: v.loginDelayMaxSeconds,
      loginFailureMemorySeconds: v.loginFailureMemorySeconds,
      loginKnownAddressSeconds: v.loginKnownAddressDays * 86400,
      passwordMaxFailuresPerToken: v.passwordMaxFailuresPerToken,
      hashConcurrency: v.hashConcurrency,
      hashQueue: v.hashQueue,
      proxySecret: v.proxySecret,
      requestsPerMinutePerAddress: v.requestsPerMinutePerAddress,
      seedAdmin: v.seedAdminEmail && v.seedAdminPassword ? { email: v.seedAdminEmail, password: v.seedAdminPassword } : undefined,
      seedClients: seeded,
      clientMaxFailures: v.clientMaxFailures,
      clientMaxFailuresPerAddress: v.clientMaxFailuresPerAddress,
      clientFailureWindowSeconds: v.clientFailureWindowSeconds,
      clientCacheMaxStaleSeconds: v.clientCacheMaxStaleSeconds,
      knownScopes: [],
      knownAudiences: [],
      emailVerification: v.emailVerification,
      emailVerificationTtlSeconds: v.emailVerificationTtlSeconds,
      unlockTokenTtlSeconds: v.unlockTokenTtlSeconds,
      mailWebhookUrl: v.mailWebhookUrl,
      codeTtlSeconds: v.codeTtlSeconds,
      ssoIdleSeconds: v.ssoIdleSeconds,
      ssoAbsoluteSeconds: v.ssoAbsoluteSeconds,
      dpop: {
        requireNonce: v.dpopRequireNonce,
        nonceWindowSeconds: v.dpopNonceWindowSeconds,
        proofWindowSeconds: v.dpopProofWindowSeconds,
        tokenEndpointUrls: [`${issuer}/oauth/token`, ...(v.dpopTokenUrls ?? []).filter((u) => u !== `${issuer}/oauth/token`)],
        edgeClients: v.dpopEdgeClients,
      },
    },
  };
  if (config.auth.ssoIdleSeconds > config.auth.ssoAbsoluteSeconds) reader.problem('AUTH_SSO_IDLE_S', 'must not exceed AUTH_SSO_MAX_S');
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
    // Checked with a fast keyed hash, a seeded secret must be as unguessable as a generated one; the secret itself is never quoted.
    if (client.secret !== undefined)
      for (const problem of clientSecretProblems(client.secret))
        reader.problem('AUTH_SEED_CLIENTS', `client "${client.clientId}": ${problem}`);
    // The admin API's rules (redirect-uri-rules.ts): a seeded client is no laxer than a registered one.
    for (const problem of seedClientRedirectProblems(client))
      reader.problem('AUTH_SEED_CLIENTS', `client "${client.clientId}": ${problem}`);
  }
  // Verifiers must hold a planned key before it signs: they refetch at the latest after max-age.
  if (config.auth.keys.publishDelaySeconds <= config.auth.jwksMaxAgeSeconds) {
    reader.problem('AUTH_KEY_PUBLISH_DELAY_S', `must be longer than AUTH_JWKS_MAX_AGE_S (${config.auth.jwksMaxAgeSeconds})`);
  }
  const known = reader.finish('auth', { catalogue }).catalogue;
  config.auth.knownScopes = [...new Set([...known.knownScopes, ...seeded.flatMap((c) => c.scopes)])];
  config.auth.knownAudiences = [...new Set([...known.knownAudiences, ...seeded.flatMap((c) => c.audiences)])];
  return config;
}
