/**
 * Every stable error code the suite answers with or exits with, by family, with its HTTP status
 * (or exit code) and what it means to the caller. Codes are API: a client may branch on them, so
 * a code names one failure only and never changes meaning. `docs/errors.md` is generated from this
 * list (`npm run docs`), and a test fails when the source throws or answers a code it lacks.
 *
 * Plain data on purpose (no imports): the error classes type their `code` with the unions below.
 */

/** One code: `status` for an HTTP answer, `exitCode` for a process exit, neither for a code that stays in the log. */
export interface ErrorCodeEntry {
  readonly code: string;
  /** The HTTP status; `4xx` for the catch-all of refusals that have no code of their own. */
  readonly status?: number | '4xx';
  readonly exitCode?: number;
  /** One line, for the user: what happened and, where it helps, what to do. */
  readonly meaning: string;
}

/** A family of codes: who answers them and in which body shape. */
export interface ErrorFamily {
  readonly title: string;
  /** Where these codes appear (the body's `code`, OAuth's `error`, a header, an exit). */
  readonly where: string;
  readonly codes: readonly ErrorCodeEntry[];
}

export const ERROR_CATALOGUE = {
  token: {
    title: 'Token verification',
    where:
      "JSON `code` of a 401/400/403 from any service that verifies access tokens (orders, profiles, the gateway, auth's own routes), with `WWW-Authenticate: Bearer`.",
    codes: [
      {
        code: 'token_missing',
        status: 401,
        meaning: 'No access token, or credentials in a scheme other than Bearer; send `Authorization: Bearer <token>`.',
      },
      {
        code: 'token_malformed',
        status: 401,
        meaning:
          'The token is not a strict compact JWS with a JSON header and claims, or a required claim (`exp`, `iat`, `sub`, `client_id`, `jti`) is missing or of the wrong type.',
      },
      {
        code: 'token_ambiguous',
        status: 400,
        meaning: 'The request carries more than one Authorization header (RFC 6750 §3.1 `invalid_request`); send exactly one.',
      },
      { code: 'token_too_large', status: 401, meaning: 'The token is longer than JWT_MAX_TOKEN_BYTES; refused before any parsing.' },
      { code: 'token_bad_algorithm', status: 401, meaning: 'The token is not signed with RS256 (none, HS256 and others are refused).' },
      {
        code: 'token_unknown_key',
        status: 401,
        meaning: "The token has no `kid`, or one that auth's JWKS does not hold even after a refetch.",
      },
      { code: 'token_bad_signature', status: 401, meaning: 'The signature does not verify under the key its `kid` names.' },
      { code: 'token_expired', status: 401, meaning: "The token's `exp` is past (beyond the clock tolerance); get a new token." },
      { code: 'token_not_yet_valid', status: 401, meaning: "The token's `nbf` or `iat` is in the future (beyond the clock tolerance)." },
      { code: 'token_wrong_issuer', status: 401, meaning: "The token's `iss` is not the configured AUTH_ISSUER." },
      { code: 'token_wrong_audience', status: 401, meaning: "The token's `aud` does not name this service." },
      {
        code: 'token_wrong_type',
        status: 401,
        meaning: "The token's `typ` is not `at+jwt`: an ID token or another JWT used as an access token.",
      },
      {
        code: 'token_revoked',
        status: 401,
        meaning: 'The token (its `jti`, or every token of its subject since a moment) has been revoked.',
      },
      {
        code: 'keys_unavailable',
        status: 401,
        meaning:
          "The service cannot get auth's keys to check the token: no usable JWKS (never fetched, or older than JWKS_MAX_STALENESS_S), or an unknown kid while auth is unreachable.",
      },
      {
        code: 'insufficient_scope',
        status: 403,
        meaning: 'The token is valid but lacks a scope the route requires; `details.requiredScopes` names them.',
      },
    ],
  },
  dpop: {
    title: 'DPoP proofs (RFC 9449)',
    where:
      'JSON `code` of a 401 from a verifying service, with `WWW-Authenticate: DPoP error="…"` (`invalid_dpop_proof`, `invalid_token` or `use_dpop_nonce`); at auth\'s `/oauth/token` the same failure is a 400 `invalid_dpop_proof` (or `use_dpop_nonce`) whose `code` field names it.',
    codes: [
      {
        code: 'dpop_proof_missing',
        status: 401,
        meaning: 'The request needs a `DPoP` proof header (a DPoP-bound token, the `DPoP` scheme, or a client registered to require DPoP).',
      },
      {
        code: 'dpop_proof_malformed',
        status: 401,
        meaning:
          'The proof is not a compact JWS with `typ: dpop+jwt` and a public `jwk` header, lacks `jti`/`htm`/`htu`/`iat`, or is too large.',
      },
      {
        code: 'dpop_proof_bad_algorithm',
        status: 401,
        meaning: 'The proof is not signed with ES256, EdDSA, RS256 or PS256 (`none` and HMAC are always refused).',
      },
      { code: 'dpop_proof_bad_signature', status: 401, meaning: "The proof's signature does not verify under its own `jwk`." },
      {
        code: 'dpop_proof_private_key',
        status: 401,
        meaning: "The proof's `jwk` header carries private key members; a proof carries the public key only.",
      },
      { code: 'dpop_proof_htm_mismatch', status: 401, meaning: "The proof's `htm` is not the request's method." },
      {
        code: 'dpop_proof_htu_mismatch',
        status: 401,
        meaning: "The proof's `htu` is not the request's URL (compared normalised, without query and fragment).",
      },
      { code: 'dpop_proof_stale', status: 401, meaning: "The proof's `iat` is too old (or too far ahead); make a new proof per request." },
      {
        code: 'dpop_proof_ath_mismatch',
        status: 401,
        meaning: "The proof's `ath` is absent or not the SHA-256 of the access token sent with it.",
      },
      {
        code: 'dpop_proof_key_mismatch',
        status: 401,
        meaning: 'The proof is signed by another key than the one the token, code or refresh token is bound to (`cnf.jkt`).',
      },
      { code: 'dpop_proof_replayed', status: 401, meaning: "The proof's `jti` was used before; make a new proof per request." },
      {
        code: 'dpop_nonce_required',
        status: 401,
        meaning: 'The proof must carry the server nonce: retry with the value of the `DPoP-Nonce` response header as `nonce`.',
      },
      {
        code: 'dpop_token_as_bearer',
        status: 401,
        meaning: 'A DPoP-bound token (`cnf.jkt`) was sent with the `Bearer` scheme; send `Authorization: DPoP <token>` and a proof.',
      },
      {
        code: 'dpop_replay_unavailable',
        status: 503,
        meaning:
          'The shared check that a DPoP proof is not a replay (Redis) is unreachable and JWT_DPOP_REPLAY_OUTAGE_POLICY is `reject`; retry after `Retry-After` with a new proof. Bearer requests are not concerned.',
      },
    ],
  },
  bearer: {
    title: 'Bearer challenges',
    where: 'The `error` of `WWW-Authenticate: Bearer error="…"` (RFC 6750 §3.1), next to the JSON `code` above.',
    codes: [
      { code: 'invalid_request', status: 400, meaning: 'The request is malformed: more than one access token.' },
      {
        code: 'invalid_token',
        status: 401,
        meaning: 'The access token is expired, revoked, malformed or invalid for another reason; the JSON `code` says which.',
      },
      {
        code: 'insufficient_scope',
        status: 403,
        meaning: 'The token lacks a scope (or, for the admin API, the audience) the request needs.',
      },
    ],
  },
  oauth: {
    title: 'OAuth endpoints (auth)',
    where: 'The `error` of an RFC 6749 §5.2 body `{ error, error_description }` from `/oauth/*`, with `Cache-Control: no-store`.',
    codes: [
      { code: 'invalid_request', status: 400, meaning: 'A parameter is missing, repeated or malformed, or the body is not a valid form.' },
      { code: 'invalid_client', status: 401, meaning: 'Client authentication failed (unknown client, wrong secret, disabled client).' },
      {
        code: 'invalid_grant',
        status: 400,
        meaning: 'The refresh token or subject token is invalid, expired, revoked or was issued to another client.',
      },
      { code: 'unauthorized_client', status: 400, meaning: 'This client may not use this grant type.' },
      { code: 'unsupported_grant_type', status: 400, meaning: 'Auth does not implement this `grant_type`.' },
      {
        code: 'invalid_scope',
        status: 400,
        meaning: 'A requested scope is unknown or more than the client (or the original grant) may have.',
      },
      {
        code: 'invalid_target',
        status: 400,
        meaning: 'The requested `audience`/`resource` is not one this client may get a token for (RFC 8707).',
      },
      {
        code: 'invalid_dpop_proof',
        status: 400,
        meaning:
          "RFC 9449 §5: the `DPoP` proof is missing (the client must use DPoP), invalid or replayed; the body's `code` names the check (`dpop_proof_*`).",
      },
      {
        code: 'use_dpop_nonce',
        status: 400,
        meaning: "RFC 9449 §8: the proof must carry the server nonce; retry with the `DPoP-Nonce` response header as the proof's `nonce`.",
      },
      { code: 'server_error', status: 500, meaning: 'Auth failed unexpectedly; the log has the request id.' },
      {
        code: 'temporarily_unavailable',
        status: 503,
        meaning: 'Auth cannot answer right now (a dependency is down, or 429: a rate limit); retry after `Retry-After`.',
      },
    ],
  },
  platform: {
    title: 'Every service',
    where: 'JSON `code` of the body `{ code, message, requestId, details? }` that every service answers errors with.',
    codes: [
      {
        code: 'validation_failed',
        status: 400,
        meaning: 'The body, query or parameters failed validation; `details.fields` names every bad field and why.',
      },
      { code: 'bad_url', status: 400, meaning: 'The request path holds a percent-encoding that does not decode (e.g. `/orders/%ff`).' },
      { code: 'bad_request', status: 400, meaning: 'The request was refused as malformed (e.g. a body that is not valid JSON).' },
      { code: 'unauthorized', status: 401, meaning: 'The request needs authentication.' },
      { code: 'forbidden', status: 403, meaning: 'The request is not allowed.' },
      { code: 'not_found', status: 404, meaning: 'No such route, or no such resource.' },
      { code: 'method_not_allowed', status: 405, meaning: 'The path exists but not with this method; `Allow` lists the methods it has.' },
      { code: 'not_acceptable', status: 406, meaning: 'The service cannot answer in a media type the `Accept` header allows.' },
      { code: 'request_timeout', status: 408, meaning: 'The request was not received in time.' },
      { code: 'conflict', status: 409, meaning: 'The request conflicts with the current state of the resource.' },
      { code: 'payload_too_large', status: 413, meaning: 'The body is larger than the service accepts.' },
      {
        code: 'unsupported_media_type',
        status: 415,
        meaning: 'The body has no Content-Type or one the route does not take; `Accept-Post` lists what it takes.',
      },
      { code: 'unprocessable_entity', status: 422, meaning: 'The request is well-formed but cannot be processed.' },
      { code: 'too_many_requests', status: 429, meaning: 'A rate limit was hit (auth: per client address); retry after `Retry-After`.' },
      { code: 'request_failed', status: '4xx', meaning: 'Another refusal without a code of its own; the HTTP status says which.' },
      {
        code: 'internal_error',
        status: 500,
        meaning: 'The service failed unexpectedly (also for another 5xx); nothing is leaked, the log has the request id.',
      },
      { code: 'service_unavailable', status: 503, meaning: 'The service cannot answer right now; retry later.' },
      {
        code: 'dependency_unavailable',
        status: 503,
        meaning:
          'A dependency this request needs (database, Redis, signing keys, another service) is unavailable; retry after `Retry-After`.',
      },
      {
        code: 'database_unavailable',
        status: 503,
        meaning:
          "The service's PostgreSQL is unreachable or going away (stopped, restarting, out of connections); retry after `Retry-After`. OAuth endpoints answer it as `temporarily_unavailable`.",
      },
      {
        code: 'not_ready',
        status: 503,
        meaning: '`GET /health/ready` on the management port: a readiness check failed; retry after `Retry-After`.',
      },
      {
        code: 'config_invalid',
        exitCode: 1,
        meaning: 'Start-up stopped: the configuration is missing or invalid; every bad variable is named.',
      },
    ],
  },
  revocation: {
    title: 'Revocation',
    where: 'JSON `code` from any service that checks revocation (with `Retry-After`).',
    codes: [
      {
        code: 'revocation_unavailable',
        status: 503,
        meaning:
          'Revocation data is older than REVOCATION_MAX_STALENESS_S (Redis unreachable) and the policy is `reject`: refused rather than risk a revoked token.',
      },
      { code: 'revocation_store_unavailable', status: 503, meaning: 'The revocation store (Redis) could not take or answer a command.' },
    ],
  },
  auth: {
    title: 'Auth',
    where: 'JSON `code` from auth (`/auth/*`, `/admin/*`).',
    codes: [
      { code: 'invalid_credentials', status: 401, meaning: 'Wrong e-mail or password, or a disabled account (all answer the same).' },
      {
        code: 'userinfo_subject_gone',
        status: 401,
        meaning: '`/oauth/userinfo`: the token\'s user no longer exists or is disabled (`WWW-Authenticate: Bearer error="invalid_token"`).',
      },
      {
        code: 'too_many_attempts',
        status: 429,
        meaning:
          'Too many failed logins for this account or from this address (or client authentications, answered at `/oauth/*` as `temporarily_unavailable`); retry after `Retry-After`.',
      },
      {
        code: 'hashing_busy',
        status: 503,
        meaning: 'Every password-hashing slot is taken and the queue is full; retry after `Retry-After`.',
      },
      {
        code: 'email_unverified',
        status: 403,
        meaning: 'The password is right but the e-mail address is not verified yet; use the token sent to it.',
      },
      { code: 'verification_token_invalid', status: 400, meaning: 'The e-mail verification token is unknown, used or expired.' },
      { code: 'unlock_token_invalid', status: 400, meaning: 'The unlock token is unknown, used or expired.' },
      { code: 'api_key_not_found', status: 404, meaning: 'No such API key (of the caller, on `/auth/api-keys`).' },
      { code: 'api_key_not_active', status: 409, meaning: 'Rotating an API key that is revoked or expired; create a new one.' },
      {
        code: 'user_token_required',
        status: 403,
        meaning:
          '`POST /auth/admin-token` takes a user token (re-entering the password); a client gets `auth:admin` by client credentials. `/auth/sessions` too: a client has no sessions.',
      },
      {
        code: 'session_not_found',
        status: 404,
        meaning: "`POST /auth/sessions/{id}/revoke`: no such session of the caller (unknown and other users' ids answer alike).",
      },
      {
        code: 'exchanged_token_refused',
        status: 401,
        meaning: "A token obtained by token exchange (it carries `act`) is not accepted by auth's own endpoints.",
      },
      {
        code: 'admin_token_required',
        status: 403,
        meaning:
          'The admin API needs a token for audience `auth` alone (`POST /auth/admin-token`, or a client-credentials token for auth).',
      },
      { code: 'client_exists', status: 409, meaning: 'A client with this id already exists; nothing changed.' },
      { code: 'client_not_found', status: 404, meaning: 'No client with this id.' },
      { code: 'key_not_found', status: 404, meaning: 'No signing key with this kid.' },
      { code: 'key_not_revocable', status: 409, meaning: 'The key is already out of the JWKS (retired or revoked): nothing to revoke.' },
      {
        code: 'rotation_in_progress',
        status: 409,
        meaning: "Another rotation's key is still pending; `rotate --now` promotes it instead.",
      },
    ],
  },
  gateway: {
    title: 'Gateway',
    where: 'JSON `code` from the gateway (edge proxy and browser sessions).',
    codes: [
      {
        code: 'upstream_timeout',
        status: 504,
        meaning: 'The upstream service sent no response headers within GATEWAY_UPSTREAM_TIMEOUT_MS.',
      },
      { code: 'upstream_unavailable', status: 502, meaning: 'The upstream service refused or dropped the connection.' },
      {
        code: 'auth_unavailable',
        status: 503,
        meaning: 'Auth could not be reached for a login, refresh, revocation or exchange; retry after `Retry-After`.',
      },
      {
        code: 'session_store_unavailable',
        status: 503,
        meaning: 'The session store (Redis) could not be used; sessions fail closed. Retry after `Retry-After`.',
      },
      {
        code: 'session_expired',
        status: 401,
        meaning: 'The session cookie names no live session (unknown, idle, past its lifetime, or refresh refused); log in again.',
      },
      {
        code: 'csrf_failed',
        status: 403,
        meaning: "A cookie-authenticated unsafe request lacked the session's CSRF token or came from a foreign origin.",
      },
      {
        code: 'rate_limited',
        status: 429,
        meaning: 'Too many requests from this address on a login or secret-checking endpoint; retry after `Retry-After`.',
      },
      {
        code: 'token_exchange_refused',
        status: 401,
        meaning: "Auth refused the user's token when exchanging it for the upstream (expired or revoked meanwhile).",
      },
      {
        code: 'token_exchange_failed',
        status: 502,
        meaning: 'Auth refused or failed the token exchange for another reason (a configuration problem).',
      },
      {
        code: 'dpop_not_proxied',
        status: 400,
        meaning:
          "`Authorization: DPoP` on auth's `/auth/*` routes through the gateway: the proof is spent at the edge. Call auth directly with DPoP; the web app's account page uses its cookie session.",
      },
      {
        code: 'body_not_accepted',
        status: 400,
        meaning: 'The gateway route takes no request body (`POST /session/logout`); the gateway never takes a password.',
      },
      {
        code: 'login_state_missing',
        status: 400,
        meaning: 'The sign-in callback found no pending login of this browser (expired, already used, or started elsewhere); start again.',
      },
      {
        code: 'login_state_mismatch',
        status: 400,
        meaning: "The sign-in callback's `state` is not this browser's login (CSRF); start again.",
      },
      {
        code: 'login_issuer_mismatch',
        status: 400,
        meaning: "The sign-in callback's `iss` is not auth's issuer (RFC 9207, mix-up attack); start again.",
      },
      { code: 'login_denied', status: 400, meaning: 'Auth answered the sign-in with an error (`details.error`, e.g. `access_denied`).' },
      {
        code: 'login_code_refused',
        status: 400,
        meaning: 'Auth refused to redeem the authorization code (expired or already used); start again.',
      },
      {
        code: 'login_response_invalid',
        status: 400,
        meaning: 'The token response of the sign-in failed its checks (ID token, nonce, issuer, audience); start again.',
      },
      {
        code: 'user_token_required',
        status: 403,
        meaning: 'The public `/api/*` routes take user tokens; a service token goes to the services directly.',
      },
      {
        code: 'api_key_invalid',
        status: 401,
        meaning:
          'The API key is not good: malformed, unknown, revoked, expired, its owner disabled, or used from an address outside its allow-list (one code for all: no hint which).',
      },
      {
        code: 'api_key_insufficient_scope',
        status: 403,
        meaning: 'The API key is good but not for this service (audience) or has no scope for it.',
      },
      {
        code: 'api_key_rate_limited',
        status: 429,
        meaning: 'Too many requests with this API key (GATEWAY_API_KEY_RATE_PER_MIN); wait `Retry-After`.',
      },
      {
        code: 'api_key_guess_limited',
        status: 429,
        meaning: 'Too many refused API keys from this address (GATEWAY_API_KEY_FAILURES_PER_MIN); wait `Retry-After`.',
      },
      {
        code: 'credentials_ambiguous',
        status: 400,
        meaning: 'An API key together with a bearer token or a session cookie: send exactly one credential.',
      },
    ],
  },
  orders: {
    title: 'Orders',
    where: 'JSON `code` from orders.',
    codes: [
      { code: 'order_not_found', status: 404, meaning: "No such order (also for another user's order: a 403 would confirm it exists)." },
      { code: 'order_not_cancellable', status: 409, meaning: 'Only a placed order can be cancelled; `details.status` is its state.' },
      {
        code: 'shipping_address_required',
        status: 422,
        meaning: 'Set a shipping address in your profile (`PUT /profiles/me`) before ordering.',
      },
      { code: 'idempotency_key_reused', status: 422, meaning: 'This Idempotency-Key was already used with a different request body.' },
      { code: 'unknown_product', status: 400, meaning: 'An item names a SKU the catalogue does not hold (`details.fields` names it).' },
      { code: 'price_mismatch', status: 400, meaning: "An item states a unit price that is not the catalogue's; leave it out." },
      { code: 'currency_mismatch', status: 400, meaning: "The order's currency is not the one its items are priced in." },
    ],
  },
  profiles: {
    title: 'Profiles',
    where: 'JSON `code` from profiles.',
    codes: [
      { code: 'profile_not_found', status: 404, meaning: 'This user has no profile yet.' },
      { code: 'service_token_required', status: 403, meaning: 'This endpoint is for service callers (client-credentials tokens) only.' },
      { code: 'client_not_allowed', status: 403, meaning: 'This client is not in PROFILES_SERVICE_CLIENTS.' },
    ],
  },
  authctl: {
    title: 'authctl (admin CLI)',
    where:
      "authctl's own failures, by the stable `code` of their error, with the exit status a script sees (stderr carries the message). A refusal by auth exits 1 and prints auth's status and code (`http_<status>` when its answer carries none).",
    codes: [
      { code: 'usage', exitCode: 2, meaning: 'Bad arguments or flags; nothing was sent to auth.' },
      { code: 'config_invalid', exitCode: 2, meaning: 'AUTH_URL or an AUTHCTL_* variable is missing or invalid; every bad one is named.' },
      { code: 'kid_unknown', exitCode: 2, meaning: 'No key matches the kid prefix; the known keys are listed.' },
      { code: 'kid_ambiguous', exitCode: 2, meaning: 'The kid prefix matches several keys; give more of the kid.' },
      { code: 'key_not_revocable', exitCode: 2, meaning: 'The key is already retired or revoked; nothing was changed.' },
      {
        code: 'refused_self_disable',
        exitCode: 2,
        meaning: 'Refused to disable the client authctl runs as (every later command would fail).',
      },
      {
        code: 'auth_unavailable',
        exitCode: 3,
        meaning: 'Auth is unreachable, too slow, answered 5xx or 429, or is not auth; check AUTH_URL or retry.',
      },
      {
        code: 'credentials_rejected',
        exitCode: 3,
        meaning: "Auth refused authctl's own client credentials; fix AUTHCTL_CLIENT_ID / AUTHCTL_CLIENT_SECRET.",
      },
    ],
  },
  internal: {
    title: 'Internal (logged, never answered)',
    where: 'In the log only: each becomes one of the answers above before it reaches a caller.',
    codes: [
      {
        code: 'key_decryption_failed',
        meaning: 'A stored signing key does not decrypt with AUTH_KEK; auth stops at start-up with `config_invalid`.',
      },
      {
        code: 'migration_lock_timeout',
        meaning:
          'An instance waited 120 s for the migration lock another instance of the same app held (it was running migrations); it stops at start-up and is restarted.',
      },
      {
        code: 'revocation_seed_interrupted',
        meaning:
          'Redis lost its data (or another auth instance took over) while auth re-seeded it from the ledger; no generation marker was written, and auth seeds again on its next check.',
      },
      {
        code: 'revocation_reader_not_master',
        meaning:
          "A verifier's revocation feed reached a Redis replica (a Sentinel with a stale view, or a replica's URL): it does not read the stream there, stays not synced and reconnects.",
      },
      {
        code: 'token_fetch_failed',
        meaning: 'A service could not get its client-credentials token from auth; answered as `dependency_unavailable`.',
      },
      {
        code: 'service_unreachable',
        meaning: 'A service-to-service call could not reach the callee in time; answered as `dependency_unavailable`.',
      },
    ],
  },
} as const satisfies Record<string, ErrorFamily>;

/** authctl's exit statuses (`apps/authctl`'s `ExitCode` holds the same numbers). */
export const AUTHCTL_EXIT_CODES = [
  { exitCode: 0, meaning: 'Done.' },
  { exitCode: 1, meaning: 'Auth refused the operation (a 4xx); its `code` and message are printed.' },
  { exitCode: 2, meaning: 'Usage error or refused input; nothing was changed.' },
  { exitCode: 3, meaning: "Auth is unavailable or refused authctl's own credentials; fix the environment or retry later." },
  { exitCode: 70, meaning: 'A bug in authctl itself (EX_SOFTWARE); the stack trace is printed.' },
] as const;

export type ErrorFamilyName = keyof typeof ERROR_CATALOGUE;
type CodesOf<F extends ErrorFamilyName> = (typeof ERROR_CATALOGUE)[F]['codes'][number]['code'];

/** Every stable code. */
export type ErrorCode = CodesOf<ErrorFamilyName>;
/** Codes of a token verification failure, DPoP proofs included (`insufficient_scope` is an authorisation failure, not one of them). */
export type TokenErrorCode = Exclude<CodesOf<'token' | 'dpop'>, 'insufficient_scope' | 'dpop_replay_unavailable'>;
export type OAuthErrorCode = CodesOf<'oauth'>;
export type AuthctlErrorCode = CodesOf<'authctl'>;
export type InternalErrorCode = CodesOf<'internal'>;
/** Codes an HTTP answer's JSON body (`{ code, message }`) may carry. */
export type HttpErrorCode = CodesOf<'token' | 'dpop' | 'platform' | 'revocation' | 'auth' | 'gateway' | 'orders' | 'profiles'>;
