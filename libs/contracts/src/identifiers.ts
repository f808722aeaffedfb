/**
 * The identifier rules auth enforces and every caller (authctl, the gateway's configuration, the
 * seeded clients) checks before sending: one definition, so a value one side accepts the other
 * cannot refuse.
 */

/** A client id: what the token endpoint's Basic auth and the `client_id`/`sub` claims carry. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** The client-id rule in words, for validation messages. */
export const CLIENT_ID_RULE = '1-64 of A-Z a-z 0-9 . _ -';

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (visible ASCII except space, `"` and `\`). */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** An audience is a service name or URI (RFC 8707 `resource`): 1-256 visible ASCII characters, no spaces. */
export const AUDIENCE_PATTERN = /^[\x21-\x7e]{1,256}$/;

/** A token id (`jti`) an operator may revoke: 1-128 URL-safe characters, as auth mints them and more. */
export const JTI_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
