/**
 * OAuth 2.0 grant types and token types by their registered names (RFC 6749, RFC 8693). Written
 * once here: a URN misspelt in one place is a grant nobody can use, found only at run time.
 */

/**
 * The audience of auth's userinfo endpoint (OpenID Connect Core §5.3), added to every token whose
 * grant includes `openid`. Its own name, not `auth`: `auth` opens auth's account API (sessions,
 * logout-all) and a third-party app granted only `openid` must not reach it (least privilege per
 * hop). Auth0 does the same with its `…/userinfo` audience.
 */
export const USERINFO_AUDIENCE = 'userinfo';

/** RFC 6749 §4.4. */
export const GRANT_CLIENT_CREDENTIALS = 'client_credentials';
/** RFC 6749 §6. */
export const GRANT_REFRESH_TOKEN = 'refresh_token';
/** RFC 6749 §4.1, with PKCE (RFC 7636, S256 only) for every client as OAuth 2.1 requires. */
export const GRANT_AUTHORIZATION_CODE = 'authorization_code';
/** The prefix of every IANA-registered grant-type URN (RFC 6755's OAuth URN namespace). */
export const GRANT_TYPE_URN_PREFIX = 'urn:ietf:params:oauth:grant-type:';
/** RFC 8693 §2.1. */
export const GRANT_TOKEN_EXCHANGE = `${GRANT_TYPE_URN_PREFIX}token-exchange`;

/**
 * Grant types a registered client may be allowed. `authorization_code` needs registered
 * redirect URIs; `refresh_token` lets a code-flow client keep the login's refresh family.
 */
export const CLIENT_GRANT_TYPES = [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE, GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN] as const;
export type ClientGrantType = (typeof CLIENT_GRANT_TYPES)[number];

/** Every grant type the token endpoint answers (`grant_types_supported` of the discovery document). */
export const GRANT_TYPES_SUPPORTED = [
  GRANT_AUTHORIZATION_CODE,
  GRANT_REFRESH_TOKEN,
  GRANT_CLIENT_CREDENTIALS,
  GRANT_TOKEN_EXCHANGE,
] as const;
export type GrantType = (typeof GRANT_TYPES_SUPPORTED)[number];

/** RFC 8693 §3: the only token type the exchange takes and issues. */
export const TOKEN_TYPE_ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * RFC 8693 §3 lets a server define its own token types by URI: an API key (`amk_live_…`) as the
 * subject of an exchange. Only clients allowed to exchange (the gateway) may present one.
 */
export const TOKEN_TYPE_API_KEY = 'urn:authmesh:params:oauth:token-type:api_key';
